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

/// Shared mailboxes.
pub const SHARED_MAILBOX_NAMES: &[&str] = &[
    "Support",
    "Sales Team",
    "Reception",
    "Info",
    "Finance Team",
    "HR Team",
];

const EXCHANGE_S_ENTERPRISE: Plan = (
    "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "EXCHANGE_S_ENTERPRISE",
    "User",
);
const SHAREPOINTENTERPRISE: Plan = (
    "5dbe027f-2339-4123-9542-606e4d348a72",
    "SHAREPOINTENTERPRISE",
    "User",
);
const SHAREPOINTWAC: Plan = (
    "e95bec33-7c88-4a70-8e19-b10bd9d0c014",
    "SHAREPOINTWAC",
    "User",
);
const TEAMS1: Plan = ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", "User");
const OFFICESUBSCRIPTION: Plan = (
    "43de0ff5-c92c-492b-9116-175376d08c38",
    "OFFICESUBSCRIPTION",
    "User",
);
const YAMMER_ENTERPRISE: Plan = (
    "7547a3fe-08ee-4ccb-b430-5077c5041653",
    "YAMMER_ENTERPRISE",
    "User",
);
const MCOSTANDARD: Plan = (
    "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
    "MCOSTANDARD",
    "User",
);

/// The products a tenant subscribes to: (skuId, skuPartNumber, service plans),
/// with Microsoft's identifiers ("Product names and service plan identifiers
/// for licensing"). The first four are the ones people are licensed with when
/// the tenant is generated; the last three are add-ons (see `licensing`).
pub const SKUS: &[(&str, &str, &[Plan])] = &[
    (
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "SPE_E5",
        &[
            EXCHANGE_S_ENTERPRISE,
            SHAREPOINTENTERPRISE,
            TEAMS1,
            OFFICESUBSCRIPTION,
            SHAREPOINTWAC,
            YAMMER_ENTERPRISE,
            MCOSTANDARD,
        ],
    ),
    (
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "ENTERPRISEPACK",
        &[
            EXCHANGE_S_ENTERPRISE,
            SHAREPOINTENTERPRISE,
            TEAMS1,
            OFFICESUBSCRIPTION,
            SHAREPOINTWAC,
            YAMMER_ENTERPRISE,
            MCOSTANDARD,
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
    (
        "f8a1db68-be16-40ed-86d5-cb42ce701560",
        "POWER_BI_PRO",
        &[(
            "70d33638-9c74-4d01-bfd3-562de28bd4ba",
            "BI_AZURE_P2",
            "User",
        )],
    ),
    (
        "c5928f49-12ba-48f7-ada3-0d743a3601d5",
        "VISIOCLIENT",
        &[
            (
                "663a804f-1c30-4ff0-9915-9db84f0d1cea",
                "VISIO_CLIENT_SUBSCRIPTION",
                "User",
            ),
            (
                "2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f",
                "VISIOONLINE",
                "User",
            ),
        ],
    ),
    (
        "53818b1b-4a27-454b-8896-0dba576410e6",
        "PROJECTPROFESSIONAL",
        &[(
            "fafd7243-e5c1-4a3a-9e40-495efcb1d3c3",
            "PROJECT_CLIENT_SUBSCRIPTION",
            "User",
        )],
    ),
];

/// The product name usage reports print in "Assigned Products" (upper case,
/// as the reports write them), by part number.
pub fn product_name(part_number: &str) -> &'static str {
    match part_number {
        "SPE_E5" => "MICROSOFT 365 E5",
        "ENTERPRISEPACK" => "OFFICE 365 E3",
        "EXCHANGESTANDARD" => "EXCHANGE ONLINE (PLAN 1)",
        "FLOW_FREE" => "MICROSOFT POWER AUTOMATE FREE",
        "POWER_BI_PRO" => "POWER BI PRO",
        "VISIOCLIENT" => "VISIO PLAN 2",
        "PROJECTPROFESSIONAL" => "PROJECT PLAN 3",
        _ => "UNKNOWN PRODUCT",
    }
}
