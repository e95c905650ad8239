//! Running the binary against an in-process simulator.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

use serde_json::Value;
use sim::{SimConfig, SimServer};

pub const BIN: &str = env!("CARGO_BIN_EXE_m365vault");

/// Everything every command printed, for the test that looks for leaked secrets.
pub static TRANSCRIPT: Mutex<String> = Mutex::new(String::new());

pub async fn sim(seed: u64) -> SimServer {
    let config = SimConfig {
        seed,
        users: 12,
        device_code_interval_secs: 1,
        ..SimConfig::default()
    };
    SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// A data directory of its own for one test.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("tempdir"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes a file outside the data directory (a secret handed to m365vault).
    pub fn input(&self, name: &str, contents: &str) -> PathBuf {
        let inputs = self.0.path().with_extension("inputs");
        std::fs::create_dir_all(&inputs).expect("inputs dir");
        let p = inputs.join(name);
        std::fs::write(&p, contents).expect("write input");
        p
    }

    /// Runs `m365vault ARGS` with this data directory and full logging.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[]).await
    }

    /// Starts `m365vault ARGS` `times` times and kills each with SIGKILL after a seeded
    /// delay drawn from `delays_ms` (reproducible from `seed`).
    pub async fn kill_repeatedly(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        times: usize,
        seed: u64,
        delays_ms: std::ops::Range<u64>,
    ) {
        let mut state = seed;
        for _ in 0..times {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let span = (delays_ms.end - delays_ms.start).max(1);
            let delay = delays_ms.start + (state >> 33) % span;
            let mut cmd = tokio::process::Command::new(BIN);
            cmd.args(args)
                .env("M365VAULT_DATA_DIR", self.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let mut child = cmd.spawn().expect("spawn");
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args)
            .env("M365VAULT_DATA_DIR", self.path())
            .env("M365VAULT_LOG", "trace")
            .env_remove("M365VAULT_VAULT_KEY")
            .env_remove("M365VAULT_VAULT_KEY_FILE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().await.expect("run m365vault");
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        };
        let mut t = TRANSCRIPT.lock().unwrap_or_else(|e| e.into_inner());
        t.push_str(&run.stdout);
        t.push_str(&run.stderr);
        run
    }

    /// Adds connector `name` for app `app` of `sim` (secret or certificate, as the app has).
    pub async fn add(&self, sim: &SimServer, name: &str, app: &str, extra: &[&str]) -> Run {
        let creds = &sim.credentials;
        let a = creds.app(app).expect("app");
        let mut args: Vec<String> = vec![
            "connector".into(),
            "add".into(),
            name.into(),
            "--tenant-id".into(),
            creds.tenant_id.clone(),
            "--client-id".into(),
            a.client_id.clone(),
            "--authority-url".into(),
            creds.authority_url.clone(),
            "--graph-url".into(),
            creds.graph_url.clone(),
        ];
        match (&a.client_secret, &a.certificate_pem, &a.private_key_pem) {
            (Some(secret), _, _) => {
                let f = self.input(&format!("{name}.secret"), &format!("{secret}\n"));
                args.extend(["--client-secret-file".into(), f.display().to_string()]);
            }
            (None, Some(cert), Some(key)) => {
                let c = self.input(&format!("{name}.crt"), cert);
                let k = self.input(&format!("{name}.key"), key);
                args.extend([
                    "--certificate".into(),
                    c.display().to_string(),
                    "--private-key".into(),
                    k.display().to_string(),
                ]);
            }
            _ => panic!("{app} has no credential"),
        }
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = self.run(&refs).await;
        assert_eq!(
            run.code, 0,
            "connector add {name}: {}{}",
            run.stdout, run.stderr
        );
        run
    }

    /// `connector check NAME --json`.
    pub async fn check(&self, name: &str, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["connector", "check", name, "--json"];
        args.extend_from_slice(extra);
        let run = self.run(&args).await;
        (run.code, run.json())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.path().with_extension("inputs"));
    }
}

/// The report of one data type.
pub fn data_type<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["data_types"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["data_type"] == name))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}
