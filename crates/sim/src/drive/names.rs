//! Names of generated folders and files. They use every character OneDrive
//! allows (Unicode, emoji, inner spaces, `# % & ' { } ~ + , ; = [ ]`) and
//! none that it forbids (`" * : < > ? / \ |`, leading or trailing spaces, a
//! trailing dot, reserved names such as `CON` or `desktop.ini`).

/// Folder names.
pub const FOLDERS: &[&str] = &[
    "Projects",
    "Archive",
    "Reports",
    "Invoices 2025",
    "Team #1",
    "R&D",
    "Ideas {draft}",
    "Photos 📷",
    "Müller & Söhne",
    "日本語フォルダー",
    "Budget [FY26]",
    "a+b=c",
    "Q1; Q2, Q3",
    "100% done",
    "Client's files",
    "~backup",
    "Contracts",
    "Marketing",
    "Travel ✈️",
    "Onboarding",
    "Customers – EMEA",
    "Design",
    "Résumés",
    "Misc",
];

/// File names without extension.
pub const STEMS: &[&str] = &[
    "Quarterly Report",
    "Meeting notes",
    "Budget",
    "Invoice 4711",
    "Präsentation",
    "résumé",
    "Design spec v2",
    "notes #3",
    "50% discount",
    "Tom & Jerry",
    "{template}",
    "draft~1",
    "a+b",
    "x=y",
    "list; items, more",
    "[final]",
    "Déjà vu 🎉",
    "数据",
    "emoji 🚀 launch",
    "O'Brien contract",
    "Roadmap",
    "Team photo",
    "Customer list",
    "Release plan",
    "Expenses",
    "Ünïcödé",
    "Προσφορά",
    "Отчёт",
    "تقرير",
];

/// Extensions with their MIME types and whether their content is text.
pub const EXTENSIONS: &[(&str, &str, bool)] = &[
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        false,
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        false,
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        false,
    ),
    ("pdf", "application/pdf", false),
    ("txt", "text/plain", true),
    ("csv", "text/csv", true),
    ("md", "text/markdown", true),
    ("json", "application/json", true),
    ("png", "image/png", false),
    ("jpg", "image/jpeg", false),
    ("mp4", "video/mp4", false),
    ("zip", "application/x-zip-compressed", false),
];

/// The MIME type of a file name, and whether generated content for it is text.
pub fn mime(name: &str) -> (&'static str, bool) {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    EXTENSIONS
        .iter()
        .find(|(e, _, _)| *e == ext)
        .map(|(_, m, t)| (*m, *t))
        .unwrap_or(("application/octet-stream", false))
}

/// Why OneDrive refuses a name, if it does.
pub fn invalid(name: &str) -> Option<&'static str> {
    const RESERVED: &[&str] = &[".lock", "CON", "PRN", "AUX", "NUL", "desktop.ini", "_vti_"];
    if name.is_empty() {
        return Some("the name is empty");
    }
    if name
        .chars()
        .any(|c| matches!(c, '"' | '*' | ':' | '<' | '>' | '?' | '/' | '\\' | '|') || c < ' ')
    {
        return Some("the name contains a character OneDrive does not allow");
    }
    if name.starts_with(' ') || name.ends_with(' ') || name.ends_with('.') {
        return Some("the name begins or ends with a space, or ends with a dot");
    }
    let stem = name.split('.').next().unwrap_or_default();
    let upper = stem.to_ascii_uppercase();
    if RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name) || *r == upper)
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.as_bytes()[3].is_ascii_digit())
        || name.starts_with("~$")
        || name.contains("_vti_")
    {
        return Some("the name is reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_allowed() {
        for n in FOLDERS.iter().chain(STEMS) {
            assert_eq!(invalid(n), None, "{n}");
        }
        for (ext, _, _) in EXTENSIONS {
            assert_eq!(invalid(&format!("x.{ext}")), None);
        }
        assert!(invalid("a:b").is_some());
        assert!(invalid("a.").is_some());
        assert!(invalid(" a").is_some());
        assert!(invalid("CON.txt").is_some());
        assert!(invalid("COM1").is_some());
        assert!(invalid("desktop.ini").is_some());
        assert_eq!(mime("a.CSV"), ("text/csv", true));
    }
}
