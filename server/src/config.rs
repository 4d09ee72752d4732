//! The server's settings: each flag beside the environment variable that stands in for it, parsed
//! once at start-up into [`Config`]. A flag wins over its variable, which wins over the default.
//! Every value is checked here, so a bad one stops the server with a message naming the flag
//! before anything is opened. Only Leptos (its `LEPTOS_*` variables) and the log filter
//! (`RUST_LOG`) read the environment elsewhere; `--help` lists those too.

use std::convert::Infallible;

use app::store::{BoardSize, DEFAULT_SNAPSHOT_EVERY};
use clap::{ArgAction, Parser};

use crate::guard::PublicOrigin;
use crate::requests::LogFormat;

/// The SQLite file used when no `DATABASE_URL` is given: zero set-up on a fresh machine.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/tasks.db";
/// Open change streams one process serves at most, unless configured otherwise. Each costs a
/// task, a buffer of up to 64 changes and a socket; beyond the cap a browser is told to retry.
pub const DEFAULT_MAX_EVENT_STREAMS: usize = 500;

/// Everything the server needs to start, parsed once from flags and environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub database_url: String,
    pub seed_demo: bool,
    pub http: HttpSettings,
    /// `--generate TASKSxVERSIONS`: append a generated board and exit instead of serving.
    pub generate: Option<BoardSize>,
    /// A board snapshot is taken each time the log has grown by this many changes.
    pub snapshot_every: u64,
    pub log_format: LogFormat,
}

/// How the HTTP surface guards itself; the defaults suit a server browsers reach directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// The origin browsers see when the server sits behind a proxy; without it, writes are
    /// compared with the `Host` the browser addressed.
    pub public_origin: Option<PublicOrigin>,
    pub max_event_streams: usize,
    /// Other sites whose pages may call the JSON API (CORS); none by default.
    pub api_origins: Vec<PublicOrigin>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            public_origin: None,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            api_origins: Vec::new(),
        }
    }
}

impl Config {
    /// Reads this process's flags and environment. On `--help` prints the help and exits 0; on
    /// an unknown flag or a bad value says what is wrong and exits 2, before anything is opened.
    pub fn parse() -> Self {
        Flags::parse().into()
    }
}

/// Read by Leptos and the log, not by clap; listed so `--help` names every variable.
const OTHER_VARIABLES: &str = "\
Also read from the environment (scripts/run.sh sets LEPTOS_HASH_FILES):
  LEPTOS_SITE_ADDR  address to listen on [default: 127.0.0.1:3000]
  LEPTOS_SITE_ROOT, LEPTOS_SITE_PKG_DIR, LEPTOS_OUTPUT_NAME, LEPTOS_HASH_FILES
                    where the browser bundle is and how its files are named
  RUST_LOG          log filter [default: info,sqlx=warn]";

/// The command line as clap reads it. Each value parser below is the one check of its setting.
#[derive(Parser, Debug)]
#[command(
    name = "server",
    about = "Serves the append-only task manager (pages, the JSON API under /api/v1, live \
             updates) from a SQLite file or a PostgreSQL database, running its migrations first.",
    after_help = OTHER_VARIABLES,
    // A repeated flag replaces the earlier value, as scripts that append flags expect.
    args_override_self = true
)]
struct Flags {
    /// The database: postgres://… selects PostgreSQL; anything else is a SQLite file, created if
    /// missing. A blank value means the default.
    // The URL may carry a password, so --help must not echo the variable's value.
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true,
          default_value = DEFAULT_DATABASE_URL, value_parser = database_url)]
    database_url: String,

    /// Do not write the demo story (backdated over the past week) into an empty database.
    /// SEED_DEMO=false, 0 or no does the same; true, 1, yes or blank seeds.
    // The flag hands the value parser "false"; the variable hands it its own text.
    #[arg(long = "no-seed", env = "SEED_DEMO", action = ArgAction::SetFalse,
          value_parser = seed_demo)]
    seed_demo: bool,

    /// The origin browsers see (https://tasks.example.org) when the server sits behind a proxy:
    /// writes are compared with it instead of the Host header, and cookies get Secure when it is
    /// https. None by default.
    #[arg(long, env = "PUBLIC_ORIGIN", value_name = "URL", value_parser = origin_unless_blank)]
    public_origin: Option<OriginUnlessBlank>,

    /// Another site whose pages may call the JSON API (CORS); repeat the flag for more, or list
    /// them in API_ORIGINS separated by commas. The pages' own endpoints never accept them. None
    /// by default.
    #[arg(long = "api-origin", env = "API_ORIGINS", value_name = "URL", value_delimiter = ',',
          value_parser = origin_unless_blank)]
    api_origins: Vec<OriginUnlessBlank>,

    /// Open live-update streams per process; beyond it /api/events answers 503 with
    /// Retry-After: 10 and the page's badge says "Live paused".
    #[arg(long, env = "MAX_EVENT_STREAMS", value_name = "N",
          default_value_t = DEFAULT_MAX_EVENT_STREAMS, value_parser = stream_cap)]
    max_event_streams: usize,

    /// A board snapshot is taken each time the log has grown by N changes (see /learn/snapshots).
    #[arg(long, env = "SNAPSHOT_EVERY", value_name = "N",
          default_value_t = DEFAULT_SNAPSHOT_EVERY, value_parser = snapshot_interval)]
    snapshot_every: u64,

    /// Append a generated board (10000x100 is a million versions) to the database and exit
    /// instead of serving.
    #[arg(long, value_name = "TASKSxVERSIONS")]
    generate: Option<BoardSize>,

    /// How log lines are written: text for people, json (one object per line, with the
    /// request's id) for log collectors.
    #[arg(long, env = "LOG_FORMAT", value_name = "FORMAT", value_enum, ignore_case = true,
          default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

impl From<Flags> for Config {
    fn from(flags: Flags) -> Self {
        Self {
            database_url: flags.database_url,
            seed_demo: flags.seed_demo,
            http: HttpSettings {
                public_origin: flags.public_origin.flatten(),
                max_event_streams: flags.max_event_streams,
                api_origins: flags.api_origins.into_iter().flatten().collect(),
            },
            generate: flags.generate,
            snapshot_every: flags.snapshot_every,
            log_format: flags.log_format,
        }
    }
}

/// A blank origin is no origin, so `PUBLIC_ORIGIN=` in a compose file leaves it unset. A type
/// alias, because clap's derive reads a field spelled `Option<Option<_>>` as a flag whose value
/// may be left out.
type OriginUnlessBlank = Option<PublicOrigin>;

fn origin_unless_blank(raw: &str) -> Result<OriginUnlessBlank, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    PublicOrigin::parse(raw).map(Some)
}

fn database_url(raw: &str) -> Result<String, Infallible> {
    let url = if raw.trim().is_empty() {
        DEFAULT_DATABASE_URL
    } else {
        raw
    };
    Ok(url.to_owned())
}

fn seed_demo(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "" | "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        other => Err(format!(
            "SEED_DEMO must be true or false (or 1/0, yes/no), not {other:?}"
        )),
    }
}

fn snapshot_interval(raw: &str) -> Result<u64, String> {
    match raw.trim().parse::<u64>() {
        Ok(every @ 1..) => Ok(every),
        _ => Err("the snapshot interval must be a whole number of changes, at least 1".into()),
    }
}

fn stream_cap(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(cap @ 1..) => Ok(cap),
        _ => Err("the event stream cap must be a whole number of at least 1".into()),
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::sync::{Mutex, PoisonError};

    use clap::error::{ContextKind, ContextValue};
    use clap::CommandFactory;

    use super::*;

    /// clap reads the variables from the process environment, so the tests that set them take
    /// turns; each starts with none of the server's variables set, whatever the shell exported.
    static ENVIRONMENT: Mutex<()> = Mutex::new(());

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let _turn = ENVIRONMENT.lock().unwrap_or_else(PoisonError::into_inner);
        for arg in Flags::command().get_arguments() {
            if let Some(name) = arg.get_env() {
                std::env::remove_var(name);
            }
        }
        for (name, value) in env {
            std::env::set_var(name, value);
        }
        let parsed = Flags::try_parse_from(std::iter::once("server").chain(args.iter().copied()));
        for (name, _) in env {
            std::env::remove_var(name);
        }
        parsed.map(Config::from).map_err(|error| message(&error))
    }

    /// clap frames a refused value as "invalid value 'X' for '--flag <V>': reason"; the tests
    /// read it as "--flag reason", and any other error as clap writes it.
    fn message(error: &clap::Error) -> String {
        match (error.get(ContextKind::InvalidArg), error.source()) {
            (Some(ContextValue::String(arg)), Some(reason)) => {
                let flag = arg.split(' ').next().unwrap_or(arg);
                format!("{flag} {reason}")
            }
            _ => error.to_string(),
        }
    }

    #[test]
    fn with_nothing_set_the_server_uses_a_seeded_sqlite_file() {
        let config = parse(&[], &[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert!(config.seed_demo);
    }

    #[test]
    fn flags_override_the_environment() {
        let config = parse(
            &["--database-url", "postgres://localhost/tasks", "--no-seed"],
            &[("DATABASE_URL", "sqlite:other.db"), ("SEED_DEMO", "true")],
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://localhost/tasks");
        assert!(!config.seed_demo);
    }

    #[test]
    fn unknown_flags_and_bad_values_are_reported_not_ignored() {
        assert!(parse(&["--port"], &[]).unwrap_err().contains("--port"));
        assert!(parse(&[], &[("SEED_DEMO", "maybe")])
            .unwrap_err()
            .contains("SEED_DEMO"));
        assert!(parse(&["--database-url"], &[]).is_err());
        assert!(parse(&["--snapshot-every", "0"], &[])
            .unwrap_err()
            .contains("at least 1"));
    }

    #[test]
    fn api_origins_come_from_repeated_flags_or_a_list_and_must_be_origins() {
        let config = parse(
            &[
                "--api-origin",
                "https://a.example",
                "--api-origin",
                "http://b.example:8080",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(config.http.api_origins.len(), 2);
        let from_env = parse(
            &[],
            &[("API_ORIGINS", "https://a.example, https://c.example")],
        )
        .unwrap();
        assert_eq!(
            from_env.http.api_origins[1].as_header(),
            "https://c.example"
        );
        assert!(parse(&["--api-origin", "https://a.example/path"], &[])
            .unwrap_err()
            .starts_with("--api-origin must be an origin"));
    }

    #[test]
    fn the_snapshot_interval_comes_from_the_flag_then_the_environment_then_the_default() {
        assert_eq!(
            parse(&[], &[]).unwrap().snapshot_every,
            DEFAULT_SNAPSHOT_EVERY
        );
        let from_env = parse(&[], &[("SNAPSHOT_EVERY", "50")]).unwrap();
        assert_eq!(from_env.snapshot_every, 50);
        let from_flag = parse(&["--snapshot-every", "7"], &[("SNAPSHOT_EVERY", "50")]).unwrap();
        assert_eq!(from_flag.snapshot_every, 7);
    }

    #[test]
    fn logs_are_text_unless_json_is_asked_for() {
        assert_eq!(parse(&[], &[]).unwrap().log_format, LogFormat::Text);
        let json = parse(&[], &[("LOG_FORMAT", "JSON")]).unwrap();
        assert_eq!(json.log_format, LogFormat::Json);
        assert!(parse(&["--log-format", "xml"], &[])
            .unwrap_err()
            .contains("--log-format"));
    }

    #[test]
    fn the_help_lists_every_flag_and_variable_and_never_shows_the_database_password() {
        let help = parse(
            &["--help"],
            &[("DATABASE_URL", "postgres://tasks:hunter2@db.example/tasks")],
        )
        .unwrap_err();
        for name in [
            "--database-url",
            "DATABASE_URL",
            "--no-seed",
            "SEED_DEMO",
            "--public-origin",
            "PUBLIC_ORIGIN",
            "--api-origin",
            "API_ORIGINS",
            "--max-event-streams",
            "MAX_EVENT_STREAMS",
            "--snapshot-every",
            "SNAPSHOT_EVERY",
            "--generate",
            "--log-format",
            "LOG_FORMAT",
            "LEPTOS_SITE_ADDR",
            "RUST_LOG",
        ] {
            assert!(
                help.contains(name),
                "{name} is missing from --help:\n{help}"
            );
        }
        assert!(!help.contains("hunter2"), "{help}");
    }
}
