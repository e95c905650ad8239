//! Word lists generated channels and messages draw from.

/// Names of channels besides General.
pub const CHANNELS: &[&str] = &[
    "Announcements",
    "Projects",
    "Design Review",
    "Customer Feedback",
    "Planning",
    "Random",
    "Support",
    "Leadership",
    "Release Train",
    "Onboarding",
];

/// Thread subjects.
pub const SUBJECTS: &[&str] = &[
    "Weekly sync notes",
    "Launch checklist",
    "Question about the budget",
    "Heads-up: maintenance window",
    "New hire starting Monday",
    "Customer call recap",
    "Draft for review",
    "Offsite agenda",
];

/// What top-level messages say.
pub const POSTS: &[&str] = &[
    "Morning all, the slides for today's review are in the Files tab.",
    "Can someone take a look at the open tickets before Friday?",
    "Reminder: timesheets are due by end of day.",
    "The build is green again, thanks everyone.",
    "We signed the renewal with Contoso, great work team!",
    "Who can cover the support rota next week?",
    "I moved the planning meeting to Thursday at 10:00.",
    "Please add your items to the agenda before the sync.",
    "Here is the recap from the customer workshop.",
    "The café in Zürich has reopened, lunch on Wednesday?",
    "Draft of the quarterly update is ready for comments.",
    "FYI the VPN will be down on Saturday night for maintenance.",
];

/// What replies say.
pub const REPLIES: &[&str] = &[
    "Thanks, looks good to me.",
    "I can take that.",
    "Agreed.",
    "Let's discuss in the sync.",
    "Done ✅",
    "Could you share the link again?",
    "+1",
    "I left a few comments in the document.",
    "Sounds good, see you there.",
    "Not sure yet, will confirm tomorrow.",
];

/// Files reference attachments point to.
pub const FILES: &[&str] = &[
    "Quarterly Review.pptx",
    "Budget 2026.xlsx",
    "Project Plan.docx",
    "Meeting Notes.docx",
    "Roadmap.pdf",
    "Customer List.xlsx",
];

/// Reactions: (`reactionType`, `displayName`).
pub const REACTIONS: &[(&str, &str)] = &[
    ("👍", "Like"),
    ("❤️", "Heart"),
    ("😆", "Laugh"),
    ("😮", "Surprised"),
];

/// Edited versions of a body get this appended.
pub const EDIT_NOTE: &str = " (edited: corrected the date)";
