//! The policy packs the server knows: the five embedded seed packs, plus any in a
//! directory named by configuration, so a bureau can add next year's pack without a rebuild.

use std::collections::BTreeMap;
use std::path::Path;

use domain::policy::PolicyPack;

/// The embedded packs: (file name, text). One file per jurisdiction-year.
const EMBEDDED: [(&str, &str); 5] = [
    ("beijing-2020.toml", include_str!("../../policies/beijing-2020.toml")),
    ("sanya-2021.toml", include_str!("../../policies/sanya-2021.toml")),
    ("rugao-2020.toml", include_str!("../../policies/rugao-2020.toml")),
    ("weifang-2021.toml", include_str!("../../policies/weifang-2021.toml")),
    ("lishi-2023.toml", include_str!("../../policies/lishi-2023.toml")),
];

#[derive(Debug, Clone, Default)]
pub struct PolicyRegistry {
    packs: BTreeMap<String, PolicyPack>,
}

/// Parses and validates one pack file; the error names the file, the key and the problem.
pub fn parse_pack(file: &str, text: &str) -> Result<PolicyPack, String> {
    let pack: PolicyPack = toml::from_str(text).map_err(|e| format!("{file}: {}", e.to_string().trim()))?;
    let expected = file.trim_end_matches(".toml");
    let mut problems = pack.problems();
    if pack.id != expected {
        problems.push(format!("id: {:?} must match the file name {expected:?}", pack.id));
    }
    if problems.is_empty() {
        Ok(pack)
    } else {
        Err(problems
            .iter()
            .map(|p| format!("{file}: {p}"))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

impl PolicyRegistry {
    /// The embedded packs (a broken one is a build defect, caught by the tests).
    pub fn embedded() -> PolicyRegistry {
        let mut r = PolicyRegistry::default();
        for (file, text) in EMBEDDED {
            let pack = parse_pack(file, text).unwrap_or_else(|e| panic!("embedded policy pack is invalid:\n{e}"));
            r.packs.insert(pack.id.clone(), pack);
        }
        r
    }

    /// Adds (or replaces, by id) every `*.toml` pack in `dir`.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut errors = Vec::new();
        let mut loaded = Vec::new();
        for path in &files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match std::fs::read_to_string(path) {
                Ok(text) => match parse_pack(&name, &text) {
                    Ok(pack) => loaded.push(pack),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        let n = loaded.len();
        for pack in loaded {
            self.packs.insert(pack.id.clone(), pack);
        }
        Ok(n)
    }

    pub fn get(&self, id: &str) -> Option<&PolicyPack> {
        self.packs.get(id)
    }

    pub fn all(&self) -> impl Iterator<Item = &PolicyPack> {
        self.packs.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_packs_load() {
        let r = PolicyRegistry::embedded();
        let ids: Vec<_> = r.all().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["beijing-2020", "lishi-2023", "rugao-2020", "sanya-2021", "weifang-2021"]
        );
    }

    #[test]
    fn a_bad_pack_is_rejected_naming_file_and_key() {
        let (_, lishi) = EMBEDDED[4];
        let bad = lishi.replacen("id = \"lishi-2023\"", "id = \"lishi-2024\"", 1);
        let e = parse_pack("lishi-2024x.toml", &bad).unwrap_err();
        assert!(e.contains("lishi-2024x.toml: id:"), "{e}");
        let e = parse_pack("x.toml", "id = 3").unwrap_err();
        assert!(e.starts_with("x.toml:"), "{e}");

        let dir = std::env::temp_dir().join(format!("canbao-packs-{}", super::super::random_token(4)));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("lishi-2024.toml"),
            lishi.replacen("id = \"lishi-2023\"", "id = \"lishi-2024\"", 1),
        )
        .unwrap();
        let mut r = PolicyRegistry::embedded();
        assert_eq!(r.load_dir(&dir).unwrap(), 1);
        assert!(r.get("lishi-2024").is_some());
        std::fs::write(dir.join("broken.toml"), "id = \"broken\"").unwrap();
        let e = r.load_dir(&dir).unwrap_err();
        assert!(e.contains("broken.toml"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
