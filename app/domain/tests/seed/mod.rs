//! The five seed packs as the binaries embed them (`include_str!`, the very bytes), for the
//! test files that read them. Each test binary uses part of this, hence `dead_code` allowed
//! where it is declared.

use domain::policy::PolicyPack;

pub const PACKS: [(&str, &str); 5] = [
    ("beijing-2020", include_str!("../../../policies/beijing-2020.toml")),
    ("sanya-2021", include_str!("../../../policies/sanya-2021.toml")),
    ("rugao-2020", include_str!("../../../policies/rugao-2020.toml")),
    ("weifang-2021", include_str!("../../../policies/weifang-2021.toml")),
    ("lishi-2023", include_str!("../../../policies/lishi-2023.toml")),
];

/// The seed pack `id`, parsed (a pack that does not parse fails the test, naming it).
pub fn pack(id: &str) -> PolicyPack {
    let (_, text) = PACKS
        .iter()
        .find(|(i, _)| *i == id)
        .unwrap_or_else(|| panic!("no pack {id}"));
    toml::from_str(text).unwrap_or_else(|e| panic!("{id}.toml does not parse: {e}"))
}
