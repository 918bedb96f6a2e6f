//! The OS floor of both INFs agrees with what the drivers need.
//!
//! Each INX's `[Manufacturer]` entries name a Models section and its TargetOSVersion decorations,
//! `NT<arch>.<major>.<minor>.<ProductType>.<SuiteMask>.<BuildNumber>`; Windows uses a decorated
//! Models section only on that build or later (doc
//! install/combining-platform-extensions-with-operating-system-versions; "INF Manufacturer
//! section"). Every decoration must name Windows 10.0 and a build number that is at least:
//! - the first Windows build that ships the KMDF version of `Cargo.toml`'s
//!   `[workspace.metadata.wdk.driver-model]` (the INFs carry no WDF coinstaller, so the framework
//!   must be in-box), and
//! - 19041, Windows 10 2004, where `ExAllocatePool2` appears: wdk-alloc 0.4.2, the drivers' global
//!   allocator, imports it (doc ddi/wdm/nf-wdm-exallocatepool2).
//!
//! `KmdfLibraryVersion` in a `KmdfService` INX must be stampinf's `$KMDFVERSION$` (filled from the
//! same Cargo.toml metadata) or that very version. Host test, plain std: reads the files as text.

use std::fs;
use std::path::{Path, PathBuf};

/// Windows 10 2004: the first build with `ExAllocatePool2` (doc ddi/wdm/nf-wdm-exallocatepool2:
/// "If you are building a driver that targets versions of Windows prior to Windows 10, version
/// 2004, use ExAllocatePoolZero ...").
const EX_ALLOCATE_POOL2_BUILD: u32 = 19041;

/// KMDF 1.minor → the first Windows build that includes it, from the "Included in" / "Drivers
/// using this KMDF version run on" columns of the KMDF version history page
/// (https://learn.microsoft.com/windows-hardware/drivers/wdf/kmdf-version-history), with the build
/// numbers of those releases (Windows 10 and Windows 11 release information pages,
/// https://learn.microsoft.com/windows/release-health/release-information). 1.29 shipped only in
/// Windows 10 1903 (not in a WDK). A minor missing here fails the test: add its row from that page.
const KMDF_FIRST_BUILD: &[(u32, u32, &str)] = &[
    (15, 10240, "Windows 10 1507"),
    (17, 10586, "Windows 10 1511"),
    (19, 14393, "Windows 10 1607"),
    (21, 15063, "Windows 10 1703"),
    (23, 16299, "Windows 10 1709"),
    (25, 17134, "Windows 10 1803"),
    (27, 17763, "Windows 10 1809"),
    (29, 18362, "Windows 10 1903"),
    (31, 19041, "Windows 10 2004"),
    (33, 22000, "Windows 11 21H2"),
];

const INX_FILES: &[&str] = &["inx/kmdf_miniport.inx", "inx/vwire_bus.inx"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of TOML section `[name]`, comments and blank lines removed (enough for the flat
/// `key = value` table read here; no TOML crate needed).
fn toml_section<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("[{name}]");
    let mut lines = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn toml_int(section: &[&str], key: &str) -> u32 {
    section
        .iter()
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().parse().unwrap_or_else(|e| panic!("{key} = {v:?}: {e}")))
        .unwrap_or_else(|| panic!("no `{key}` in [workspace.metadata.wdk.driver-model]"))
}

/// (major, minor) of `[workspace.metadata.wdk.driver-model]`, the one WDK configuration both
/// drivers build against (wdk-build passes it to stampinf as `-k major.minor`).
fn kmdf_version() -> (u32, u32) {
    let text = read(&root().join("Cargo.toml"));
    let section = toml_section(&text, "workspace.metadata.wdk.driver-model");
    assert!(!section.is_empty(), "Cargo.toml has no [workspace.metadata.wdk.driver-model]");
    (toml_int(&section, "kmdf-version-major"), toml_int(&section, "target-kmdf-version-minor"))
}

/// The build that the decorations must reach: the larger of the KMDF and allocator floors.
fn required_build() -> (u32, String) {
    let (major, minor) = kmdf_version();
    assert_eq!(major, 1, "KMDF major version {major}: only KMDF 1.x is known here");
    let &(_, kmdf_build, release) =
        KMDF_FIRST_BUILD.iter().find(|(m, _, _)| *m == minor).unwrap_or_else(|| {
            panic!(
                "KMDF 1.{minor} is not in KMDF_FIRST_BUILD: \
                 add its first Windows build from the KMDF version history page"
            )
        });
    if kmdf_build >= EX_ALLOCATE_POOL2_BUILD {
        (kmdf_build, format!("KMDF 1.{minor} is in-box from {release} (build {kmdf_build})"))
    } else {
        (
            EX_ALLOCATE_POOL2_BUILD,
            format!("ExAllocatePool2 (wdk-alloc) needs build {EX_ALLOCATE_POOL2_BUILD}"),
        )
    }
}

/// One INF line: comment removed (`;` outside quotes), trimmed.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return line[..i].trim(),
            _ => {}
        }
    }
    line.trim()
}

/// Section name → its lines (comments stripped, blank lines dropped), in file order. INF section
/// names are case-insensitive, so names are lower-cased.
fn inf_sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().map(strip_comment).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_ascii_lowercase(), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(line.to_string());
        }
    }
    sections
}

fn section<'a>(sections: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    let name = name.to_ascii_lowercase();
    sections.iter().find(|(n, _)| *n == name).map(|(_, lines)| lines.as_slice())
}

/// A TargetOSVersion decoration's (OSMajorVersion, OSMinorVersion, BuildNumber); fields that are
/// empty or absent are `None`.
fn parse_decoration(decoration: &str) -> (Option<u32>, Option<u32>, Option<u32>) {
    let fields: Vec<&str> = decoration.split('.').collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.trim().parse::<u32>().ok());
    (field(1), field(2), field(5))
}

#[test]
fn every_inx_decoration_is_at_or_above_the_os_floor() {
    let (floor, why) = required_build();
    for inx in INX_FILES {
        let sections = inf_sections(&read(&root().join(inx)));
        let manufacturer =
            section(&sections, "Manufacturer").unwrap_or_else(|| panic!("{inx}: no [Manufacturer] section"));
        let mut decorations = 0;
        for entry in manufacturer {
            let (_, value) = entry.split_once('=').unwrap_or(("", entry));
            let mut parts = value.split(',').map(str::trim);
            let models = parts.next().unwrap_or("");
            for decoration in parts {
                decorations += 1;
                assert!(
                    decoration.to_ascii_uppercase().starts_with("NT"),
                    "{inx}: `{decoration}` is not a TargetOSVersion decoration"
                );
                let (major, minor, build) = parse_decoration(decoration);
                assert_eq!(
                    (major, minor),
                    (Some(10), Some(0)),
                    "{inx}: `{decoration}` must target Windows 10.0 \
                     (the KMDF and ExAllocatePool2 floors are Windows 10 builds)"
                );
                let build = build.unwrap_or_else(|| {
                    panic!(
                        "{inx}: `{decoration}` has no BuildNumber, \
                         so it installs on every Windows 10 build; {why}"
                    )
                });
                assert!(
                    build >= floor,
                    "{inx}: `{decoration}` allows build {build}, below the floor {floor}: {why}"
                );
                // The decorated Models section must exist, else the entry installs nothing.
                let models_section = format!("{models}.{decoration}");
                assert!(
                    section(&sections, &models_section).is_some(),
                    "{inx}: [Manufacturer] names [{models_section}], which does not exist"
                );
            }
        }
        assert!(
            decorations > 0,
            "{inx}: [Manufacturer] has no TargetOSVersion decoration, so no OS floor at all"
        );
        // No undecorated or other-decorated Models section that Windows could pick instead: every
        // section named `<models>.NT...` belongs to a decoration checked above.
        for (name, _) in &sections {
            let Some((models, decoration)) = name.split_once(".nt") else { continue };
            let is_models = manufacturer.iter().any(|entry| {
                let value = entry.split_once('=').map_or(entry.as_str(), |(_, v)| v);
                value.split(',').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(models))
            });
            if is_models {
                let (_, _, build) = parse_decoration(&format!("nt{decoration}"));
                assert!(
                    build.is_some_and(|b| b >= floor),
                    "{inx}: Models section [{name}] is below the floor {floor} or undecorated: {why}"
                );
            }
        }
    }
}

#[test]
fn kmdf_library_version_matches_cargo_toml() {
    let (major, minor) = kmdf_version();
    let expected = format!("{major}.{minor}");
    for inx in INX_FILES {
        let sections = inf_sections(&read(&root().join(inx)));
        let mut wdf_sections = Vec::new();
        for (_, lines) in &sections {
            for line in lines {
                if let Some((key, value)) = line.split_once('=')
                    && key.trim().eq_ignore_ascii_case("KmdfService")
                {
                    // `KmdfService = <service>, <wdf section>`
                    let wdf_section = value.split(',').nth(1).map(str::trim).unwrap_or("");
                    wdf_sections.push(wdf_section.to_string());
                }
            }
        }
        assert!(!wdf_sections.is_empty(), "{inx}: no KmdfService directive (both drivers are KMDF drivers)");
        for wdf_section in wdf_sections {
            let lines = section(&sections, &wdf_section)
                .unwrap_or_else(|| panic!("{inx}: no [{wdf_section}] section"));
            let version = lines
                .iter()
                .filter_map(|line| line.split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("KmdfLibraryVersion"))
                .map(|(_, value)| value.trim())
                .unwrap_or_else(|| panic!("{inx}: [{wdf_section}] has no KmdfLibraryVersion"));
            assert!(
                version == "$KMDFVERSION$" || version == expected,
                "{inx}: KmdfLibraryVersion = {version}, but Cargo.toml's driver model is KMDF {expected}"
            );
        }
    }
}

/// The parsers above on the forms they must reject, so a parsing slip cannot make the checks pass
/// vacuously.
#[test]
fn decoration_parser() {
    assert_eq!(parse_decoration("NT$ARCH$.10.0...19041"), (Some(10), Some(0), Some(19041)));
    assert_eq!(parse_decoration("NTamd64.10.0...16299"), (Some(10), Some(0), Some(16299)));
    assert_eq!(parse_decoration("NT$ARCH$.10.0"), (Some(10), Some(0), None));
    assert_eq!(parse_decoration("NT$ARCH$"), (None, None, None));
    assert_eq!(strip_comment("a = b ; c"), "a = b");
    assert_eq!(strip_comment("a = \"x;y\" ; c"), "a = \"x;y\"");
    let sections = toml_section("[a]\nx = 1 # c\n[b]\nx = 2\n", "b");
    assert_eq!(toml_int(&sections, "x"), 2);
}
