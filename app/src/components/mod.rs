pub mod assumptions;
pub mod forms;
pub mod layout;
pub mod loaded;
