//! Thin: parse the command line, then serve or print.

use clap::Parser;
use pc_sandbox::cli::{Cli, Command, SchemaKind};
use pc_sandbox::serve::{print_document, DocumentKind};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema {
            what: SchemaKind::Fixtures,
        } => {
            let schema = pc_sandbox::seed::fixtures::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            std::process::ExitCode::SUCCESS
        }
        Command::Serve(args) => pc_sandbox::serve::run(args).await,
        Command::Openapi(args) => print_document(DocumentKind::OpenApi, args).await,
        Command::Postman(args) => print_document(DocumentKind::Postman, args).await,
    }
}
