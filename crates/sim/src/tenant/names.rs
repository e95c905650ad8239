//! Name lists the generated tenant draws from.

pub const ORGANIZATIONS: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind Traders",
    "Adventure Works",
    "Tailspin Toys",
    "Wingtip Toys",
    "Litware",
    "Woodgrove Bank",
    "Alpine Ski House",
    "Proseware",
    "Lamna Healthcare",
    "Relecloud",
];

pub const GIVEN_NAMES: &[&str] = &[
    "Adele",
    "Alex",
    "Allan",
    "Amara",
    "Ana",
    "Bianca",
    "Carlos",
    "Chen",
    "Christie",
    "Daniel",
    "Debra",
    "Diego",
    "Elena",
    "Emily",
    "Enrico",
    "Fatima",
    "Grady",
    "Hana",
    "Henrietta",
    "Isaiah",
    "Johanna",
    "Joni",
    "Kenji",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Nora",
    "Olga",
    "Patti",
    "Pradeep",
    "Priya",
    "Raul",
    "Sakura",
    "Samuel",
    "Sofia",
    "Tomasz",
    "Wei",
    "Yusuf",
    "Zainab",
];

pub const SURNAMES: &[&str] = &[
    "Vance",
    "Wilber",
    "Deyoung",
    "Okafor",
    "Silva",
    "Rossi",
    "Garcia",
    "Zhang",
    "Cline",
    "Park",
    "Berry",
    "Morales",
    "Petrova",
    "Johnson",
    "Russo",
    "Haddad",
    "Archie",
    "Sato",
    "Mularski",
    "Bello",
    "Jensen",
    "Sherman",
    "Tanaka",
    "Gu",
    "Holloway",
    "Zrinyi",
    "Bowen",
    "Caldwell",
    "Wilke",
    "Nakamura",
    "Kowalski",
    "Fernandez",
    "Gupta",
    "Iyer",
    "Lopez",
    "Yamada",
    "Adeyemi",
    "Novak",
    "Li",
    "Demir",
];

pub const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Engineering",
    "Finance",
    "Human Resources",
    "Legal",
    "Operations",
    "Customer Support",
    "Research",
    "Executive Management",
];

pub const JOB_TITLES: &[&str] = &[
    "Account Manager",
    "Marketing Specialist",
    "Software Engineer",
    "Financial Analyst",
    "HR Generalist",
    "Paralegal",
    "Operations Manager",
    "Support Engineer",
    "Researcher",
    "Director",
    "Product Manager",
    "Designer",
];

pub const CITIES: &[(&str, &str, &str)] = &[
    ("Seattle", "US", "en-US"),
    ("London", "GB", "en-GB"),
    ("Munich", "DE", "de-DE"),
    ("Paris", "FR", "fr-FR"),
    ("Tokyo", "JP", "ja-JP"),
    ("Bangalore", "IN", "en-IN"),
    ("São Paulo", "BR", "pt-BR"),
    ("Toronto", "CA", "en-CA"),
];

pub const TEAM_NAMES: &[&str] = &[
    "Sales Team",
    "Marketing",
    "Engineering",
    "Finance",
    "HR Team",
    "Legal",
    "Project Falcon",
    "Mark 8 Project Team",
    "Retail",
    "Digital Initiative",
    "U.S. Sales",
    "Leadership",
];

pub const SECURITY_GROUP_NAMES: &[&str] = &[
    "All Staff Access",
    "VPN Users",
    "Finance Approvers",
    "Engineering Admins",
    "Building A Access",
    "Contractors",
    "Privileged Access",
    "Print Operators",
];

pub const DISTRIBUTION_LIST_NAMES: &[&str] = &[
    "All Company",
    "Newsletter",
    "Sales Leads",
    "Event Planning",
    "IT Announcements",
    "Board",
    "Europe Office",
    "Americas Office",
];

/// A service plan: (id, name, appliesTo).
pub type Plan = (&'static str, &'static str, &'static str);

/// (skuId, partNumber, service plans).
/// Shared mailboxes.
pub const SHARED_MAILBOX_NAMES: &[&str] = &[
    "Support",
    "Sales Team",
    "Reception",
    "Info",
    "Finance Team",
    "HR Team",
];

pub const SKUS: &[(&str, &str, &[Plan])] = &[
    (
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "SPE_E5",
        &[
            (
                "efb87545-963c-4e0d-99df-69c6916d9eb0",
                "EXCHANGE_S_ENTERPRISE",
                "User",
            ),
            (
                "5dbe027f-2339-4123-9542-606e4d348a72",
                "SHAREPOINTENTERPRISE",
                "User",
            ),
            ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", "User"),
            (
                "43de0ff5-c92c-492b-9116-175376d08c38",
                "OFFICESUBSCRIPTION",
                "User",
            ),
        ],
    ),
    (
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "ENTERPRISEPACK",
        &[
            (
                "efb87545-963c-4e0d-99df-69c6916d9eb0",
                "EXCHANGE_S_ENTERPRISE",
                "User",
            ),
            (
                "5dbe027f-2339-4123-9542-606e4d348a72",
                "SHAREPOINTENTERPRISE",
                "User",
            ),
            ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", "User"),
            (
                "43de0ff5-c92c-492b-9116-175376d08c38",
                "OFFICESUBSCRIPTION",
                "User",
            ),
        ],
    ),
    (
        "4b9405b0-7788-4568-add1-99614e613b69",
        "EXCHANGESTANDARD",
        &[(
            "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
            "EXCHANGE_S_STANDARD",
            "User",
        )],
    ),
    (
        "f30db892-07e9-47e9-837c-80727f46fd3d",
        "FLOW_FREE",
        &[(
            "50e68c76-46c6-4674-81f9-75456511b170",
            "FLOW_P2_VIRAL",
            "User",
        )],
    ),
];
