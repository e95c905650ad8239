//! Words generated chats and group conversations are made of.

/// Lines people write in chats.
pub const LINES: &[&str] = &[
    "Morning! Do you have a minute?",
    "Sounds good to me.",
    "Can you take a look at the draft before noon?",
    "I just sent you the updated numbers.",
    "Thanks, that helps a lot.",
    "Let's move the sync to Thursday.",
    "Who is joining the customer call tomorrow?",
    "I'll be a few minutes late.",
    "The build is green again.",
    "Could you share the latest version of the deck?",
    "Agreed, let's go with option B.",
    "Lunch at 12:30?",
    "I pinged the vendor, waiting for their answer.",
    "Great work on the presentation today!",
    "Do we have the budget approval yet?",
    "I added my comments to the document.",
    "Can we push the deadline by a week?",
    "Quick reminder: timesheets are due Friday.",
    "The meeting room is booked for 3 pm.",
    "I'm out tomorrow, back on Monday.",
    "Here are the notes from the workshop.",
    "Let me check and get back to you.",
    "That's fixed now, please try again.",
    "Happy to help with the onboarding.",
];

/// Topics of group chats.
pub const TOPICS: &[&str] = &[
    "Project Falcon",
    "Q3 planning",
    "Launch checklist",
    "Office move",
    "Budget review",
    "Customer escalations",
    "Hiring panel",
    "Offsite ideas",
    "Release train",
    "Security review",
];

/// Subjects of meetings.
pub const MEETINGS: &[&str] = &[
    "Weekly sync",
    "Sprint review",
    "Quarterly business review",
    "Design critique",
    "1:1 catch-up",
    "Vendor demo",
    "All hands prep",
    "Incident retrospective",
];

/// Files people share in chats.
pub const FILES: &[&str] = &[
    "Proposal.docx",
    "Budget 2025.xlsx",
    "Roadmap.pptx",
    "Meeting notes.docx",
    "Invoice 1042.pdf",
    "Architecture.vsdx",
    "Contract draft.docx",
    "Sales pipeline.xlsx",
];

/// Reaction types and their display names.
pub const REACTIONS: &[(&str, &str)] = &[
    ("like", "Like"),
    ("heart", "Heart"),
    ("laugh", "Laugh"),
    ("surprised", "Surprised"),
    ("sad", "Sad"),
    ("angry", "Angry"),
];

/// Topics of group conversations (Outlook groups).
pub const CONVERSATIONS: &[&str] = &[
    "Welcome to the group",
    "Agenda for next week",
    "Holiday schedule",
    "Feedback on the new process",
    "Monthly report",
    "Training materials",
    "Question about expenses",
    "Team lunch",
];

/// The display name of reaction type `kind`.
pub fn reaction_name(kind: &str) -> &'static str {
    REACTIONS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
        .unwrap_or("Like")
}
