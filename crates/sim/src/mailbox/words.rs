//! Word lists generated mailbox content draws from.

/// Conversation topics (message subjects, event subjects).
pub const TOPICS: &[&str] = &[
    "Quarterly budget review",
    "Project Falcon status",
    "Team offsite planning",
    "Customer escalation: Contoso",
    "Updated travel policy",
    "Release 4.2 go/no-go",
    "Hiring plan for Q3",
    "Security awareness training",
    "Invoice 2024-0117",
    "Office move next month",
    "Board deck draft",
    "Weekly sync notes",
    "Partner onboarding",
    "Marketing campaign results",
    "Vendor contract renewal",
    "Lunch and learn: Rust",
    "Expense report approval",
    "Sprint retrospective",
    "Data retention question",
    "Welcome our new colleagues",
    "Holiday schedule",
    "Server maintenance window",
    "Press release review",
    "Training budget",
    "Customer survey feedback",
    "Warehouse inventory count",
    "Annual report figures",
    "Support ticket backlog",
    "Proposal for Fabrikam",
    "Café réunion à Zürich",
];

/// Sentences bodies are made of.
pub const SENTENCES: &[&str] = &[
    "Please find the latest figures below.",
    "Can we meet on Thursday to go through the open points?",
    "I have updated the document with your comments.",
    "Thanks for the quick turnaround on this.",
    "Let me know if anything is unclear.",
    "The deadline has moved to the end of the month.",
    "We still need sign-off from finance before we proceed.",
    "Attached is the version we discussed in the meeting.",
    "I will follow up with the customer tomorrow morning.",
    "Could you check whether the numbers add up?",
    "The team agreed to postpone the decision by one week.",
    "Here is a short summary of where we stand.",
    "Nothing has changed on our side since last week.",
    "Good news: the pilot went well and users are happy.",
    "We should loop in legal before sending this out.",
    "Our café meeting in Zürich is confirmed for 10:00.",
    "The new process starts on Monday for all teams.",
    "I am out of office on Friday; Alex will cover for me.",
    "Please review and approve by end of day.",
    "The invoice was paid on the 3rd, reference below.",
];

/// Names of user mail folders.
pub const FOLDERS: &[&str] = &[
    "Projects",
    "Customers",
    "Finance",
    "Newsletters",
    "Travel",
    "Receipts",
    "Team",
    "Archive 2023",
    "Vendors",
    "Hiring",
];

/// Names of nested folders.
pub const SUBFOLDERS: &[&str] = &[
    "2024", "2025", "2026", "Falcon", "Contoso", "Old", "Q1", "Q2",
];

/// Categories (Outlook colour categories).
pub const CATEGORIES: &[&str] = &[
    "Red category",
    "Blue category",
    "Green category",
    "Yellow category",
    "Important",
    "Follow up",
];

/// External correspondents' domains.
pub const EXTERNAL_DOMAINS: &[&str] = &[
    "contoso.com",
    "fabrikam.com",
    "northwindtraders.com",
    "adventure-works.com",
    "tailspintoys.com",
];

/// Names of external correspondents and contacts.
pub const PEOPLE: &[(&str, &str)] = &[
    ("Sara", "Davis"),
    ("Kenji", "Watanabe"),
    ("Amelie", "Laurent"),
    ("Omar", "Haddad"),
    ("Ines", "Moreira"),
    ("Lukas", "Becker"),
    ("Priya", "Raman"),
    ("Tomasz", "Nowak"),
    ("Grace", "Okafor"),
    ("Mateo", "Garcia"),
    ("Hanna", "Lindqvist"),
    ("Daniel", "Cohen"),
    ("Chloe", "Martin"),
    ("Ravi", "Kapoor"),
    ("Elif", "Yilmaz"),
    ("Noah", "Fischer"),
];

/// Companies of contacts.
pub const COMPANIES: &[&str] = &[
    "Contoso Ltd",
    "Fabrikam Inc",
    "Northwind Traders",
    "Adventure Works",
    "Tailspin Toys",
    "Litware",
];

/// Job titles of contacts.
pub const TITLES: &[&str] = &[
    "Account Manager",
    "Buyer",
    "CFO",
    "Consultant",
    "Engineer",
    "Office Manager",
    "Project Lead",
];

/// Places of events.
pub const LOCATIONS: &[&str] = &[
    "Conference Room 1",
    "Microsoft Teams Meeting",
    "Cafeteria",
    "Building 4, room 210",
    "Customer site",
    "Online",
];

/// Names of extra calendars.
pub const CALENDARS: &[&str] = &["Team Events", "Holidays", "Birthdays"];

/// Names of extra contact folders.
pub const CONTACT_FOLDERS: &[&str] = &["Suppliers", "Family", "Conference 2025"];

/// File attachments: (base name, extension, content type, text?).
pub const FILES: &[(&str, &str, &str, bool)] = &[
    ("report", "pdf", "application/pdf", false),
    (
        "figures",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        false,
    ),
    ("notes", "txt", "text/plain", true),
    (
        "agenda",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        false,
    ),
    ("data", "csv", "text/csv", true),
    ("photo", "jpg", "image/jpeg", false),
    ("archive", "zip", "application/zip", false),
    (
        "slides",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        false,
    ),
];
