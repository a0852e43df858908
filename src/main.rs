fn main() -> std::process::ExitCode {
    moth::main()
}
