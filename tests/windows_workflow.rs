//! The Windows workflow (`.github/workflows/windows.yml`) cannot run here, so this checks what can be
//! checked on any host: it builds, verifies and uploads exactly the driver packages `Makefile.toml`
//! makes, for both architectures and both profiles, with the WDK pinned. A driver added to the
//! workspace without being packaged, or packaged without being built and uploaded, fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn toml_file(path: &Path) -> toml::Table {
    read(path).parse().unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn workflow() -> Yaml {
    let text = read(&root().join(".github/workflows/windows.yml"));
    YamlLoader::load_from_str(&text).expect("the workflow is YAML").into_iter().next().expect("one document")
}

/// A driver in wdk-build's sense: a cdylib with a `package.metadata.wdk` table (the condition of
/// wdk-build's package-driver-flow), by its file-system name (`-` → `_`, cargo-make's
/// CARGO_MAKE_CRATE_FS_NAME).
fn driver_fs_name(member_dir: &Path) -> Option<String> {
    let manifest = toml_file(&member_dir.join("Cargo.toml"));
    let package = manifest.get("package")?.as_table()?;
    package.get("metadata")?.get("wdk")?;
    let cdylib = manifest
        .get("lib")
        .and_then(|lib| lib.get("crate-type"))
        .and_then(|types| types.as_array())
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("cdylib")));
    cdylib.then(|| package.get("name")?.as_str().map(|name| name.replace('-', "_"))).flatten()
}

/// The packages `Makefile.toml` builds: the drivers among the members it includes.
fn makefile_packages() -> BTreeSet<String> {
    let makefile = toml_file(&root().join("Makefile.toml"));
    let members = makefile["env"]["CARGO_MAKE_WORKSPACE_INCLUDE_MEMBERS"].as_str().expect("include list");
    members
        .split(';')
        .map(|member| {
            driver_fs_name(&root().join(member)).unwrap_or_else(|| panic!("{member} is not a driver"))
        })
        .collect()
}

/// Every driver crate in the workspace.
fn workspace_drivers() -> BTreeSet<String> {
    let manifest = toml_file(&root().join("Cargo.toml"));
    let members = manifest["workspace"]["members"].as_array().expect("workspace members");
    std::iter::once(".".to_owned())
        .chain(members.iter().filter_map(|m| m.as_str().map(str::to_owned)))
        .filter_map(|member| driver_fs_name(&root().join(member)))
        .collect()
}

fn workflow_packages(workflow: &Yaml) -> BTreeSet<String> {
    workflow["env"]["DRIVER_PACKAGES"]
        .as_str()
        .expect("env.DRIVER_PACKAGES")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Every `run:` script of a job, joined.
fn scripts(job: &Yaml) -> String {
    job["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_workflow_packages_exactly_the_drivers_the_makefile_builds() {
    let from_makefile = makefile_packages();
    assert_eq!(from_makefile, ["kmdf_miniport", "vwire_bus"].map(String::from).into());
    assert_eq!(
        workspace_drivers(),
        from_makefile,
        "every driver of the workspace is packaged by Makefile.toml"
    );
    assert_eq!(
        workflow_packages(&workflow()),
        from_makefile,
        "windows.yml builds and uploads the Makefile's packages"
    );
}

#[test]
fn the_windows_job_builds_both_architectures_and_profiles_with_a_pinned_wdk() {
    let workflow = workflow();
    let job = &workflow["jobs"]["windows"];
    let matrix = &job["strategy"]["matrix"];
    let triples: BTreeSet<&str> = matrix["target"]
        .as_vec()
        .expect("target matrix")
        .iter()
        .filter_map(|t| t["triple"].as_str())
        .collect();
    assert_eq!(triples, ["aarch64-pc-windows-msvc", "x86_64-pc-windows-msvc"].into());
    let profiles: BTreeSet<&str> =
        matrix["profile"].as_vec().expect("profile matrix").iter().filter_map(Yaml::as_str).collect();
    assert_eq!(profiles, ["dev", "release"].into());

    let version = workflow["env"]["WDK_NUGET_VERSION"].as_str().expect("env.WDK_NUGET_VERSION");
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "the WDK version is pinned to one NuGet release (four numbers), not a range: {version}"
    );

    let run = scripts(job);
    for needed in [
        "Microsoft.Windows.WDK.x64",
        "Microsoft.Windows.WDK.ARM64",
        "Microsoft.Windows.SDK.CPP",
        "cargo make default",
        "-- -D warnings",
        "/v /w",
    ] {
        assert!(run.contains(needed), "the Windows job runs `{needed}`");
    }
    let uploads = job["steps"].as_vec().expect("steps").iter().any(|step| {
        step["uses"].as_str().is_some_and(|uses| uses.starts_with("actions/upload-artifact@"))
            && step["with"]["if-no-files-found"].as_str() == Some("error")
    });
    assert!(uploads, "the packages are uploaded, and a missing one fails the job");
}

#[test]
fn a_linux_job_runs_the_host_ci() {
    let workflow = workflow();
    assert!(scripts(&workflow["jobs"]["linux"]).contains("bash .ci/run"));
}
