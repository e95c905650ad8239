use std::collections::HashMap;

use serde_json::Value;

use super::*;

fn reference(name: &str) -> Value {
    let path = format!(
        "{}/../../reference/graph/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (METHOD, lower-case path) → application permissions that grant it, from permissions.json.
fn grants() -> HashMap<(String, String), Vec<String>> {
    let file = reference("permissions.json");
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    let Some(perms) = file["permissions"].as_object() else {
        panic!("permissions.json has no permissions")
    };
    for (name, perm) in perms {
        for set in perm["pathSets"].as_array().into_iter().flatten() {
            let app = set["schemeKeys"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k == "Application");
            if !app {
                continue;
            }
            for method in set["methods"].as_array().into_iter().flatten() {
                for path in set["paths"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(p, _)| p)
                {
                    out.entry((
                        method.as_str().unwrap_or_default().to_owned(),
                        path.to_lowercase(),
                    ))
                    .or_default()
                    .push(name.clone());
                }
            }
        }
    }
    out
}

fn all_calls() -> Vec<(DataType, Operation, &'static GraphCall)> {
    let mut v = Vec::new();
    for d in DataType::ALL {
        for op in [Operation::Backup, Operation::Restore] {
            v.extend(calls(d, op).iter().map(|c| (d, op, c)));
        }
    }
    v
}

#[test]
fn matrix_matches_reference() {
    let grants = grants();
    for (d, op, call) in all_calls() {
        assert!(
            permission(call.permission).is_some(),
            "{d} {op:?}: {} is not in the catalog",
            call.permission
        );
        if call.note.starts_with("https://learn.microsoft.com/") {
            continue;
        }
        let path = call.path.to_lowercase();
        let path = path.strip_suffix("/$ref").unwrap_or(&path);
        let granting = grants
            .get(&(call.method.to_owned(), path.to_owned()))
            .unwrap_or_else(|| {
                panic!(
                    "{d} {op:?}: {} {} is not in permissions.json and has no note",
                    call.method, call.path
                )
            });
        assert!(
            granting
                .iter()
                .any(|g| g.eq_ignore_ascii_case(call.permission)),
            "{d} {op:?}: {} {} is not granted by {} (granted by {granting:?})",
            call.method,
            call.path,
            call.permission
        );
    }
}

#[test]
fn catalog_matches_microsofts_ids_and_names() {
    let desc = reference("permission-descriptions.json");
    let roles: HashMap<&str, &Value> = desc["applicationScopesList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["value"].as_str()?, r)))
        .collect();
    for p in PERMISSIONS {
        let r = roles
            .get(p.name)
            .unwrap_or_else(|| panic!("{} is not an application permission", p.name));
        assert_eq!(r["id"].as_str(), Some(p.id), "{}", p.name);
        assert_eq!(
            r["adminConsentDisplayName"].as_str().map(str::trim),
            Some(p.display_name),
            "{}",
            p.name
        );
    }
    let scopes: HashMap<&str, &str> = desc["delegatedScopesList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["value"].as_str()?, r["id"].as_str()?)))
        .collect();
    for s in SETUP_SCOPES {
        assert_eq!(scopes.get(s.name), Some(&s.id), "{}", s.name);
    }
    let ids = reference("permission-ids.json");
    for p in PERMISSIONS {
        let deployments = ids["permissionDeployments"][p.name]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            deployments
                .iter()
                .any(|d| d["scheme"] == "Application" && d["id"] == p.id),
            "{}: app role id not in permission-ids.json",
            p.name
        );
    }
}

#[test]
fn implications_name_known_permissions_and_have_no_cycles() {
    for (from, tos) in IMPLIES {
        assert!(permission(from).is_some(), "{from}");
        for to in *tos {
            assert!(
                to.ends_with("ReadBasic.All") || permission(to).is_some(),
                "{to}"
            );
            assert!(!implies(to, from), "cycle between {from} and {to}");
        }
    }
    assert!(implies("Directory.ReadWrite.All", "User.Read.All"));
    assert!(implies("Sites.FullControl.All", "Files.Read.All"));
    assert!(!implies("Mail.Read", "Mail.ReadWrite"));
    assert!(!implies(
        "Directory.Read.All",
        "Group-Conversation.Read.All"
    ));
}

#[test]
fn required_sets_are_minimal() {
    let names = |v: Vec<&Permission>| v.iter().map(|p| p.name).collect::<Vec<_>>();
    assert_eq!(
        names(required(DataType::Mail, Operation::Backup)),
        ["Mail.Read", "MailboxSettings.Read", "User.Read.All"]
    );
    assert_eq!(
        names(required(DataType::Chats, Operation::Backup)),
        ["Chat.Read.All", "User.Read.All"]
    );
    assert_eq!(
        names(required(DataType::Sharepoint, Operation::Restore)),
        ["Sites.Manage.All"]
    );
    assert_eq!(
        names(required(DataType::Inventory, Operation::Backup)),
        ["Organization.Read.All", "Reports.Read.All", "User.Read.All"]
    );
    let all = names(all_application_permissions());
    assert!(
        all.contains(&"Mail.ReadWrite") && !all.contains(&"Mail.Read"),
        "{all:?}"
    );
    assert!(
        !all.iter().any(|p| p.starts_with("Directory.")),
        "no tenant-wide directory write: {all:?}"
    );
}

#[test]
fn evaluate_reports_missing_permissions_per_operation() {
    let mail_only = ["Mail.Read", "MailboxSettings.Read", "User.Read.All"];
    let mail = evaluate(DataType::Mail, &mail_only);
    assert!(mail.backup.ok());
    let restore = mail.restore.expect("mail can be restored");
    assert_eq!(
        restore.missing.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["Mail.ReadWrite"]
    );

    let files = evaluate(DataType::Onedrive, &mail_only);
    assert_eq!(
        files
            .backup
            .missing
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["Files.Read.All"]
    );

    let chats = evaluate(
        DataType::Chats,
        &["Chat.ReadWrite.All", "Directory.Read.All"],
    );
    assert!(chats.backup.ok());
    assert!(chats.restore.is_none());
    assert!(unsupported_reason(DataType::Chats, Operation::Restore).is_some());

    let none: [&str; 0] = [];
    assert!(!evaluate(DataType::Inventory, &none).backup.ok());
}

/// The tables of `docs/permissions.md`, rendered from the matrix.
fn render_docs_tables() -> String {
    let mut s = String::new();
    s.push_str("| data type | backup needs | restore needs |\n| --- | --- | --- |\n");
    for d in DataType::ALL {
        let names = |op| {
            let v: Vec<String> = required(d, op)
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect();
            if v.is_empty() {
                unsupported_reason(d, op).unwrap_or("-").to_owned()
            } else {
                v.join(", ")
            }
        };
        s.push_str(&format!(
            "| {} ({}) | {} | {} |\n",
            d.as_str(),
            d.label(),
            names(Operation::Backup),
            names(Operation::Restore)
        ));
    }
    s.push_str("\n| permission | description in the Entra admin center | app role id | also satisfied by |\n| --- | --- | --- | --- |\n");
    let mut used: Vec<&Permission> = Vec::new();
    for d in DataType::ALL {
        for op in [Operation::Backup, Operation::Restore] {
            for p in required(d, op) {
                if !used.contains(&p) {
                    used.push(p);
                }
            }
        }
    }
    used.sort_by_key(|p| p.name);
    for p in used {
        let broader: Vec<String> = implied_by(p.name)
            .iter()
            .map(|b| format!("`{b}`"))
            .collect();
        s.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            p.name,
            p.display_name,
            p.id,
            broader.join(", ")
        ));
    }
    s
}

#[test]
fn docs_permissions_page_is_current() {
    let path = format!("{}/../../docs/permissions.md", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (begin, end) = ("<!-- generated:begin -->\n", "<!-- generated:end -->");
    let tables = render_docs_tables();
    let (Some(b), Some(e)) = (text.find(begin), text.find(end)) else {
        panic!("{path} lacks the generated markers");
    };
    let current = &text[b + begin.len()..e];
    if current != tables {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{begin}{tables}{}", &text[..b], &text[e..]);
            std::fs::write(&path, updated).unwrap_or_else(|err| panic!("{path}: {err}"));
        } else {
            panic!(
                "{path} is out of date with the permission matrix; run `UPDATE_DOCS=1 cargo test -p m365vault-model` and commit it"
            );
        }
    }
}
