//! Random tokens and one-way hashes (server only). Lives below every feature so that the
//! error type, the services and the server can all use it without importing each other.

pub use secrecy::{ExposeSecret, SecretString};

/// A random hex token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 in hex (session tokens and one-time codes are stored only hashed).
pub fn sha256_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}
