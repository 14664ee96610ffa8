//! The policy packs the server knows: the five embedded seed packs, plus any in a
//! directory named by configuration, so a bureau can add next year's pack without a rebuild.

pub mod drafts;
pub mod edit;
pub mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use domain::policy::PolicyPack;

use crate::error::{AppError, UserMessage};

/// The embedded packs: (file name, text). One file per jurisdiction-year.
const EMBEDDED: [(&str, &str); 5] = [
    ("beijing-2020.toml", include_str!("../../../policies/beijing-2020.toml")),
    ("sanya-2021.toml", include_str!("../../../policies/sanya-2021.toml")),
    ("rugao-2020.toml", include_str!("../../../policies/rugao-2020.toml")),
    ("weifang-2021.toml", include_str!("../../../policies/weifang-2021.toml")),
    ("lishi-2023.toml", include_str!("../../../policies/lishi-2023.toml")),
];

/// The packs the server prices with: for each id its published versions, newest last, each
/// with the day residents are first offered it (None: always — the seed packs and those in
/// `CANBAO_POLICY_DIR`). Cheap to share: the packs are behind `Arc`s.
#[derive(Debug, Clone, Default)]
pub struct PolicyRegistry {
    packs: BTreeMap<String, Vec<Published>>,
}

#[derive(Debug, Clone)]
struct Published {
    pack: Arc<PolicyPack>,
    from: Option<NaiveDate>,
}

/// The live registry: replaced whole when a pack is published (here, or by another server
/// over the same database, read on the next refresh), never changed in place, so a request
/// prices with one consistent set.
pub struct Policies {
    /// The packs that do not come from the database (embedded and directory).
    base: PolicyRegistry,
    current: RwLock<Arc<PolicyRegistry>>,
}

impl Policies {
    pub fn new(base: PolicyRegistry) -> Policies {
        let current = RwLock::new(Arc::new(base.clone()));
        Policies { base, current }
    }

    /// The registry as it stands; hold it for the length of one use case.
    pub fn current(&self) -> Arc<PolicyRegistry> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The packs without the database's (what a new id's first version is numbered above).
    pub fn base(&self) -> &PolicyRegistry {
        &self.base
    }

    /// Reloads the published versions from the database on top of the base packs. A stored
    /// version that no longer reads (a later release changed the pack format) stops the
    /// refresh with its id rather than silently dropping a pack residents were offered.
    pub async fn refresh(&self, db: &crate::store::Db) -> Result<(), AppError> {
        let rows = store::published(db).await?;
        let mut next = self.base.clone();
        for row in rows {
            let pack: PolicyPack = serde_json::from_str(&row.body)
                .map_err(|e| AppError::internal("policy_versions", format!("{} v{}: {e}", row.pack_id, row.version)))?;
            next.insert(pack, Some(row.effective_from));
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(())
    }
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

/// A pack as a TOML file in the seed packs' format (issue 26's export): the same fields, so
/// [`parse_pack`] reads it back as the same pack and it quotes everyone alike (a property
/// test over generated people checks it). The seed files' comments — the notices' wording
/// beside each figure — are not part of the pack and do not come along; every figure keeps
/// its notice and clause.
pub fn export_pack(pack: &PolicyPack) -> Result<String, AppError> {
    let body = toml::to_string_pretty(pack).map_err(|e| AppError::internal("pack_export", e))?;
    Ok(format!(
        "# Canbao policy pack {} ({}, insurance year {}), exported from the running registry.\n\n{body}",
        pack.id, pack.jurisdiction, pack.insurance_year
    ))
}

impl PolicyRegistry {
    /// The embedded packs (a broken one is a build defect, caught by the tests).
    pub fn embedded() -> PolicyRegistry {
        let mut r = PolicyRegistry::default();
        for (file, text) in EMBEDDED {
            let pack = parse_pack(file, text).unwrap_or_else(|e| panic!("embedded policy pack is invalid:\n{e}"));
            r.insert(pack, None);
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
            // A file replaces the id's versions: the directory is the operator's word.
            self.packs.remove(&pack.id);
            self.insert(pack, None);
        }
        Ok(n)
    }

    /// Adds a version (kept in version order; the same version again replaces it).
    pub fn insert(&mut self, pack: PolicyPack, from: Option<NaiveDate>) {
        let versions = self.packs.entry(pack.id.clone()).or_default();
        versions.retain(|p| p.pack.version != pack.version);
        versions.push(Published {
            pack: Arc::new(pack),
            from,
        });
        versions.sort_by_key(|p| p.pack.version);
    }

    /// The newest version of an id, whatever its date: for records already priced with it
    /// (their own figures are stored; this gives the rules around them).
    pub fn get(&self, id: &str) -> Option<&PolicyPack> {
        self.packs.get(id).and_then(|v| v.last()).map(|p| &*p.pack)
    }

    /// One exact version.
    pub fn version(&self, id: &str, version: u32) -> Option<&PolicyPack> {
        self.packs
            .get(id)
            .and_then(|v| v.iter().find(|p| p.pack.version == version))
            .map(|p| &*p.pack)
    }

    /// The version of an id in force on `today`: the newest whose date has come.
    pub fn on(&self, id: &str, today: NaiveDate) -> Option<&PolicyPack> {
        self.packs
            .get(id)?
            .iter()
            .rev()
            .find(|p| p.from.is_none_or(|d| d <= today))
            .map(|p| &*p.pack)
    }

    /// The day a published version is first offered (None: always).
    pub fn offered_from(&self, id: &str, version: u32) -> Option<NaiveDate> {
        self.packs
            .get(id)
            .and_then(|v| v.iter().find(|p| p.pack.version == version))
            .and_then(|p| p.from)
    }

    /// Every id's newest version, whatever its date (staff listings).
    pub fn all(&self) -> impl Iterator<Item = &PolicyPack> {
        self.packs.values().filter_map(|v| v.last()).map(|p| &*p.pack)
    }

    /// Every pack offered on `today`: each id's version in force, ids whose first version's
    /// day has not come left out.
    pub fn offered(&self, today: NaiveDate) -> impl Iterator<Item = &PolicyPack> {
        self.packs.keys().filter_map(move |id| self.on(id, today))
    }

    // The one place that chooses a pack: enrolment, certification, lists, the ledger and
    // reports all ask here, so a rule about which year speaks for an area is written once.

    /// The pack with this id in force on `today`, or 404 on the `policy` field (a pack
    /// published for a later day is unknown until then).
    pub fn by_id(&self, id: &str, today: NaiveDate) -> Result<&PolicyPack, AppError> {
        self.on(id, today).ok_or_else(|| {
            AppError::NotFound(UserMessage::new(
                "policy_not_found",
                Some("policy"),
                format!("未找到政策“{id}”"),
                format!("No policy {id:?}"),
            ))
        })
    }

    /// The pack for an area on a day: the one covering the area whose collection window is
    /// open (or the one asked for, checked).
    pub fn for_enrolment(
        &self,
        area_code: &str,
        asked: Option<&str>,
        today: NaiveDate,
    ) -> Result<&PolicyPack, AppError> {
        if let Some(id) = asked.filter(|s| !s.is_empty()) {
            let pack = self.by_id(id, today)?;
            if !pack.covers_area(area_code) {
                return Err(AppError::invalid(
                    "policy",
                    "policy_not_for_area",
                    format!("“{}”的政策不适用于本户所在地区", pack.jurisdiction),
                    format!(
                        "The {} policy does not apply to this household's area",
                        pack.jurisdiction_en
                    ),
                ));
            }
            if !pack.accepts_payment_on(today) {
                return Err(window_closed(pack, today));
            }
            return Ok(pack);
        }
        match self.speaking_for(area_code, today) {
            Some(p) if p.accepts_payment_on(today) => Ok(p),
            Some(p) => Err(window_closed(p, today)),
            None => Err(AppError::invalid(
                "policy",
                "no_policy_for_area",
                "本户所在地区暂无可用的参保政策",
                "No policy covers this household's area yet",
            )),
        }
    }

    /// The pack that speaks for an area on a day: the one whose collection window is open,
    /// else the latest covering the area (certifications, lists and the ledger use it too).
    pub fn speaking_for(&self, area: &str, today: NaiveDate) -> Option<&PolicyPack> {
        let mut covering: Vec<&PolicyPack> = self.offered(today).filter(|p| p.covers_area(area)).collect();
        if let Some(open) = open_on(&covering, today) {
            return Some(open);
        }
        covering.sort_by_key(|p| p.insurance_year);
        covering.last().copied()
    }

    /// The pack that speaks for an area: it must lie inside one jurisdiction (or contain
    /// exactly one); of that jurisdiction's years, the one asked for, else the one whose
    /// collection is open, else the latest that has begun.
    pub fn for_report(&self, prefix: &str, year: Option<i32>, today: NaiveDate) -> Result<&PolicyPack, AppError> {
        let mut cands: Vec<&PolicyPack> = self
            .offered(today)
            .filter(|p| {
                p.area_codes
                    .iter()
                    .any(|c| c.starts_with(prefix) || prefix.starts_with(c.as_str()))
            })
            .collect();
        let mut jurisdictions: Vec<&Vec<String>> = cands.iter().map(|p| &p.area_codes).collect();
        jurisdictions.sort();
        jurisdictions.dedup();
        if jurisdictions.len() > 1 {
            return Err(AppError::invalid(
                "area",
                "area_spans_jurisdictions",
                "该地区包含多个统筹地区，请选择其下的一个地区",
                "This area spans several jurisdictions; choose one below it",
            ));
        }
        if let Some(y) = year {
            cands.retain(|p| p.insurance_year == y);
            if cands.is_empty() {
                return Err(AppError::invalid(
                    "year",
                    "no_policy_for_year",
                    format!("该地区没有{y}年度的参保政策"),
                    format!("No policy for {y} covers this area"),
                ));
            }
        }
        if let Some(open) = open_on(&cands, today) {
            return Ok(open);
        }
        cands.sort_by_key(|p| p.insurance_year);
        cands
            .iter()
            .rev()
            .find(|p| p.collection_window().0 <= today)
            .or_else(|| cands.first())
            .copied()
            .ok_or_else(|| {
                AppError::invalid(
                    "area",
                    "no_policy_for_area",
                    "该地区暂无参保政策，无法统计",
                    "No policy covers this area, so there is nothing to report",
                )
            })
    }
}

/// Of the packs whose collection is open on `today`, the one to use: a year still accepts
/// late payers while the next year's on-time period runs (Lishi 2023 until 31 December 2023,
/// lishi-2024 from 1 September 2023), and then the year paid on time is meant; otherwise the
/// latest year.
fn open_on<'p>(packs: &[&'p PolicyPack], today: NaiveDate) -> Option<&'p PolicyPack> {
    packs
        .iter()
        .filter(|p| p.accepts_payment_on(today))
        .max_by_key(|p| {
            let on_time = p
                .periods
                .iter()
                .any(|x| x.on_time && x.start <= today && today <= x.end);
            (on_time, p.insurance_year)
        })
        .copied()
}

fn window_closed(pack: &PolicyPack, today: NaiveDate) -> AppError {
    let (start, end) = pack.collection_window();
    AppError::invalid(
        "policy",
        "outside_collection_window",
        format!(
            "今天（{today}）不在{}{}年度的参保缴费期内（{start}至{end}）",
            pack.jurisdiction, pack.insurance_year
        ),
        format!(
            "Today ({today}) is outside the {} {} collection window ({start} to {end})",
            pack.jurisdiction_en, pack.insurance_year
        ),
    )
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
    fn every_seed_pack_exports_and_imports_as_itself() {
        let r = PolicyRegistry::embedded();
        for pack in r.all() {
            let text = export_pack(pack).unwrap();
            assert!(text.starts_with(&format!("# Canbao policy pack {}", pack.id)));
            let back = parse_pack(&format!("{}.toml", pack.id), &text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&back, pack, "{}", pack.id);
        }
    }

    #[test]
    fn a_bad_pack_is_rejected_naming_file_and_key() {
        let (_, lishi) = EMBEDDED[4];
        let bad = lishi.replacen("id = \"lishi-2023\"", "id = \"lishi-2024\"", 1);
        let e = parse_pack("lishi-2024x.toml", &bad).unwrap_err();
        assert!(e.contains("lishi-2024x.toml: id:"), "{e}");
        let e = parse_pack("x.toml", "id = 3").unwrap_err();
        assert!(e.starts_with("x.toml:"), "{e}");

        let dir = std::env::temp_dir().join(format!("canbao-packs-{}", crate::secrets::random_token(4)));
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
