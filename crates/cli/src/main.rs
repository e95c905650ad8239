//! The `m365vault` command: parses arguments and calls the library crates.

mod cli;
mod cmd;
mod logging;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ConnectorCommand, SimCommand};

/// jemalloc returns freed memory to the system and does not keep an arena per thread
/// the way glibc's allocator does, which keeps a long backup's memory flat.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit status when a check finds a data type that cannot work.
pub const EXIT_CHECK_FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result = match &cli.command {
        Command::Demo(args) => cmd::demo::run(&cli, args),
        Command::Connector(ConnectorCommand::Add(args)) => cmd::connector::add::run(&cli, args),
        Command::Connector(ConnectorCommand::List) => cmd::connector::list::run(&cli),
        Command::Connector(ConnectorCommand::Remove { name }) => {
            cmd::connector::remove::run(&cli, name)
        }
        Command::Connector(ConnectorCommand::Check(args)) => cmd::connector::check::run(&cli, args),
        Command::Connector(ConnectorCommand::Update(args)) => {
            cmd::connector::update::run(&cli, args)
        }
        Command::Setup(args) => cmd::setup::run(&cli, args),
        Command::Sim(SimCommand::Serve(args)) => cmd::sim::serve(args),
        Command::Repo(command) => cmd::repo::run(&cli, command),
        Command::Backup(command) => cmd::backup::run(&cli, command),
        Command::Ls(args) => cmd::backup::ls(&cli, args),
        Command::Export(args) => cmd::backup::export(&cli, args),
        Command::Restore(args) => cmd::backup::restore(&cli, args),
        Command::Directory(command) => cmd::directory::run(&cli, command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if cli.json {
                println!("{}", serde_json::json!({"error": format!("{e:#}")}));
            }
            ExitCode::from(EXIT_CHECK_FAILED)
        }
    }
}
