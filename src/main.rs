//! The `fumi` binary: everything is in the library; see `fumi::cli`.

fn main() {
    fumi::cli::fatal::install();
    let code = fumi::cli::run(std::env::args_os().collect());
    std::process::exit(code);
}
