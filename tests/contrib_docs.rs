//! README shows the recipes from contrib/ that the integration tests run:
//! every README code block that starts with a `# contrib/FILE` line must
//! consist of lines of that file, in the file's order (README may leave
//! out comments and blank lines; a line the file has commented out, like
//! an option to merge into an existing master.cf line, counts too).

use std::path::Path;

#[test]
fn readme_recipes_are_the_contrib_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut checked = 0;
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let Some(path) = block.first().and_then(|l| l.strip_prefix("# contrib/")) else {
            continue;
        };
        let file = std::fs::read_to_string(root.join("contrib").join(path))
            .unwrap_or_else(|e| panic!("README quotes contrib/{path}: {e}"));
        let mut file_lines = file.lines();
        for want in block[1..].iter().filter(|l| !l.trim().is_empty()) {
            let found = file_lines
                .by_ref()
                .any(|l| l == *want || l.strip_prefix('#') == Some(*want));
            assert!(
                found,
                "README's contrib/{path}: line {want:?} is not in the file (or out of order)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} contrib blocks in README");
}
