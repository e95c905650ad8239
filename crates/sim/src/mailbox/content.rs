//! What a message says: headers, bodies and attachments, generated from a
//! per-item seed (never stored for generated items) or parsed from MIME.

use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::words::*;

/// A mailbox owner or correspondent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// SMTP address.
    pub address: String,
}

/// Where a message came from, which decides who sent it to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Received by the owner.
    Received,
    /// Sent by the owner.
    Sent,
    /// Written by the owner, not sent.
    Draft,
}

/// The bytes of a file attachment.
#[derive(Debug, Clone)]
pub enum Bytes {
    /// Generated from a seed when needed.
    Seeded {
        /// The seed.
        seed: u64,
        /// Length in bytes.
        size: usize,
        /// Printable text rather than binary.
        text: bool,
    },
    /// Kept as given.
    Stored(Arc<Vec<u8>>),
}

impl Bytes {
    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Bytes::Seeded { size, .. } => *size,
            Bytes::Stored(b) => b.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn bytes(&self) -> Arc<Vec<u8>> {
        match self {
            Bytes::Seeded { seed, size, text } => Arc::new(seeded_bytes(*seed, *size, *text)),
            Bytes::Stored(b) => b.clone(),
        }
    }
}

/// What an attachment holds.
#[derive(Debug, Clone)]
pub enum AttachmentBody {
    /// A file (`fileAttachment`).
    File(Bytes),
    /// A message attached as `message/rfc822` (`itemAttachment`).
    Item(Box<Content>),
    /// A link to a file in the cloud (`referenceAttachment`): not part of the MIME.
    Reference {
        /// Where the file is.
        url: String,
    },
}

/// An attachment.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Shown in the body (inline image) rather than as an attachment.
    pub is_inline: bool,
    /// `Content-ID` of an inline attachment.
    pub content_id: Option<String>,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// What it holds.
    pub body: AttachmentBody,
}

/// A message's content: what its MIME says.
#[derive(Debug, Clone)]
pub struct Content {
    /// Subject.
    pub subject: String,
    /// Author.
    pub from: Person,
    /// Primary recipients.
    pub to: Vec<Person>,
    /// Copies.
    pub cc: Vec<Person>,
    /// Blind copies (only the sender's copy knows them).
    pub bcc: Vec<Person>,
    /// `Date:`, the sent time.
    pub date: OffsetDateTime,
    /// `Message-ID:` with its angle brackets.
    pub message_id: String,
    /// `Thread-Topic:`, the subject without prefixes.
    pub topic: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, when there is one.
    pub html: Option<String>,
    /// Attachments, in MIME order (references last).
    pub attachments: Vec<Attachment>,
}

impl Content {
    /// The body as Graph returns it (`html` when there is one).
    pub fn body(&self) -> (&'static str, String) {
        match &self.html {
            Some(h) => ("html", h.clone()),
            None => ("text", self.text.clone()),
        }
    }

    /// The first 255 characters of the text body, whitespace collapsed.
    pub fn preview(&self) -> String {
        preview(&self.text)
    }
}

/// Graph's `bodyPreview`: the first 255 characters of the text, whitespace collapsed.
pub fn preview(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(255)
        .collect()
}

/// What generation knows about a mailbox.
#[derive(Debug, Clone)]
pub struct Context {
    /// The tenant's seed.
    pub seed: u64,
    /// The owner's index in the directory.
    pub user: usize,
    /// The owner.
    pub owner: Person,
    /// Colleagues (other users of the tenant).
    pub colleagues: Vec<Person>,
    /// The tenant's domain.
    pub domain: String,
    /// Multiplies item counts.
    pub scale: f64,
}

impl Context {
    /// A generator for item `n` of `kind` in this mailbox.
    pub fn rng(&self, kind: &str, n: u64) -> ChaCha8Rng {
        crate::seed::Seed(self.seed).rng(&format!("{kind}:{}", self.user), n)
    }

    /// A colleague or an external correspondent.
    pub fn correspondent(&self, rng: &mut ChaCha8Rng) -> Person {
        if !self.colleagues.is_empty() && rng.random_bool(0.7) {
            return self.colleagues[rng.random_range(0..self.colleagues.len())].clone();
        }
        external(rng)
    }

    /// How much large attachments are scaled down.
    pub fn size_scale(&self) -> f64 {
        self.scale.clamp(0.001, 1.0)
    }
}

/// Someone outside the tenant.
pub fn external(rng: &mut ChaCha8Rng) -> Person {
    let &(given, surname) = PEOPLE.choose(rng).unwrap_or(&PEOPLE[0]);
    let domain = EXTERNAL_DOMAINS
        .choose(rng)
        .copied()
        .unwrap_or("contoso.com");
    Person {
        name: format!("{given} {surname}"),
        address: format!(
            "{}.{}@{domain}",
            given.to_ascii_lowercase(),
            surname.to_ascii_lowercase()
        ),
    }
}

/// Paragraphs of generated text.
pub fn paragraphs(rng: &mut ChaCha8Rng, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let n = rng.random_range(2..6);
            (0..n)
                .map(|_| *SENTENCES.choose(rng).unwrap_or(&SENTENCES[0]))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML document with these paragraphs, as Outlook writes them.
pub fn html_of(paragraphs: &[String], extra: &str) -> String {
    let mut html = String::from(
        "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n",
    );
    for p in paragraphs {
        html.push_str("<p>");
        html.push_str(&escape_html(p));
        html.push_str("</p>\r\n");
    }
    html.push_str(extra);
    html.push_str("</body>\r\n</html>\r\n");
    html
}

/// Generates message `n`'s content. `received` is when the owner got it (or
/// wrote it); `role` decides sender and recipients.
pub fn message(ctx: &Context, n: u64, role: Role, received: OffsetDateTime) -> Content {
    let mut rng = ctx.rng("message-content", n);
    let topic_index = rng.random_range(0..TOPICS.len());
    let topic = TOPICS[topic_index].to_owned();
    let subject = match rng.random_range(0..10) {
        0..=5 => topic.clone(),
        6..=8 => format!("RE: {topic}"),
        _ => format!("FW: {topic}"),
    };
    let other = ctx.correspondent(&mut rng);
    let (from, mut to) = match role {
        Role::Received => (other, vec![ctx.owner.clone()]),
        Role::Sent | Role::Draft => (ctx.owner.clone(), vec![other]),
    };
    for _ in 0..rng.random_range(0..3) {
        let p = ctx.correspondent(&mut rng);
        if !to.contains(&p) && p != from {
            to.push(p);
        }
    }
    let cc: Vec<Person> = (0..rng.random_range(0..3))
        .map(|_| ctx.correspondent(&mut rng))
        .filter(|p| *p != from && !to.contains(p))
        .collect();
    let bcc: Vec<Person> = if role != Role::Received && rng.random_bool(0.1) {
        vec![ctx.correspondent(&mut rng)]
    } else {
        Vec::new()
    };
    let date = received - Duration::seconds(rng.random_range(1..600));
    let message_id = format!(
        "<{}{:04}.{}@{}>",
        hex(&digest(ctx, "mid", n)[..8]).to_ascii_uppercase(),
        n % 10_000,
        from.address.split('@').next().unwrap_or("x"),
        from.address.split('@').nth(1).unwrap_or("example.com")
    );
    let count = rng.random_range(1..5);
    let paras = paragraphs(&mut rng, count);
    let mut text = format!("Hi {},\r\n\r\n", first_name(&to[0].name));
    for p in &paras {
        text.push_str(p);
        text.push_str("\r\n\r\n");
    }
    text.push_str(&format!("Best regards,\r\n{}\r\n", from.name));
    let with_html = rng.random_bool(0.7);
    let mut attachments = Vec::new();
    let scale = ctx.size_scale();
    let inline = with_html && rng.random_bool(0.08);
    if inline {
        attachments.push(Attachment {
            name: "image001.png".to_owned(),
            content_type: "image/png".to_owned(),
            is_inline: true,
            content_id: Some(format!("image001.png@01DA{:08X}", n & 0xffff_ffff)),
            modified: date,
            body: AttachmentBody::File(Bytes::Seeded {
                seed: rng.next_u64(),
                size: rng.random_range(2_000..40_000),
                text: false,
            }),
        });
    }
    if rng.random_bool(0.25) {
        for k in 0..rng.random_range(1..4) {
            let &(base, ext, ct, is_text) = FILES.choose(&mut rng).unwrap_or(&FILES[0]);
            let large = rng.random_bool(0.12);
            let size = if large {
                (rng.random_range(1_000_000..4_000_000) as f64 * scale) as usize
            } else {
                (rng.random_range(2_000..200_000) as f64 * scale.sqrt()) as usize
            }
            .max(64);
            attachments.push(Attachment {
                name: format!(
                    "{base}{}.{ext}",
                    if k == 0 {
                        String::new()
                    } else {
                        format!("-{k}")
                    }
                ),
                content_type: ct.to_owned(),
                is_inline: false,
                content_id: None,
                modified: date - Duration::hours(rng.random_range(1..200)),
                body: AttachmentBody::File(Bytes::Seeded {
                    seed: rng.next_u64(),
                    size,
                    text: is_text,
                }),
            });
        }
    }
    if rng.random_bool(0.04) {
        let inner_n = rng.next_u64() | (1 << 63);
        let inner = nested(ctx, inner_n, date - Duration::days(rng.random_range(1..30)));
        attachments.push(Attachment {
            name: inner.subject.clone(),
            content_type: "message/rfc822".to_owned(),
            is_inline: false,
            content_id: None,
            modified: date,
            body: AttachmentBody::Item(Box::new(inner)),
        });
    }
    if rng.random_bool(0.03) {
        attachments.push(Attachment {
            name: "Shared plan.docx".to_owned(),
            content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                .to_owned(),
            is_inline: false,
            content_id: None,
            modified: date,
            body: AttachmentBody::Reference {
                url: format!(
                    "https://{}-my.sharepoint.com/personal/{}/Documents/Shared%20plan.docx",
                    ctx.domain.split('.').next().unwrap_or("tenant"),
                    from.address.replace(['@', '.'], "_")
                ),
            },
        });
    }
    let html = with_html.then(|| {
        let extra = attachments
            .iter()
            .filter_map(|a| a.content_id.as_ref())
            .map(|cid| format!("<p><img src=\"cid:{cid}\" width=\"120\" height=\"40\"></p>\r\n"))
            .collect::<String>();
        html_of(&paras, &extra)
    });
    Content {
        subject,
        from,
        to,
        cc,
        bcc,
        date,
        message_id,
        topic,
        text,
        html,
        attachments,
    }
}

/// A short message to attach to another (no attachments of its own).
fn nested(ctx: &Context, n: u64, date: OffsetDateTime) -> Content {
    let mut rng = ctx.rng("nested-content", n);
    let topic = TOPICS
        .choose(&mut rng)
        .copied()
        .unwrap_or("Note")
        .to_owned();
    let from = ctx.correspondent(&mut rng);
    let paras = paragraphs(&mut rng, 1);
    Content {
        subject: topic.clone(),
        from,
        to: vec![ctx.owner.clone()],
        cc: Vec::new(),
        bcc: Vec::new(),
        date,
        message_id: format!("<{}@{}>", hex(&digest(ctx, "nested", n)[..10]), ctx.domain),
        topic,
        text: format!("{}\r\n", paras.join("\r\n\r\n")),
        html: None,
        attachments: Vec::new(),
    }
}

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

fn digest(ctx: &Context, kind: &str, n: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ctx.seed.to_le_bytes());
    h.update((ctx.user as u64).to_le_bytes());
    h.update(kind.as_bytes());
    h.update(n.to_le_bytes());
    h.finalize().into()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic file bytes: printable lines for text, random bytes behind a
/// plausible magic number otherwise.
pub fn seeded_bytes(seed: u64, size: usize, text: bool) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(size);
    if text {
        let words: Vec<&str> = SENTENCES.iter().flat_map(|s| s.split(' ')).collect();
        let mut col = 0;
        while out.len() < size {
            let w = words[rng.random_range(0..words.len())];
            out.extend_from_slice(w.as_bytes());
            col += w.len() + 1;
            if col > 70 {
                out.extend_from_slice(b"\r\n");
                col = 0;
            } else {
                out.push(b' ');
            }
        }
        out.truncate(size);
        return out;
    }
    out.resize(size, 0);
    rng.fill_bytes(&mut out);
    const MAGIC: &[u8] = b"%PDF-1.7\n";
    let n = MAGIC.len().min(size);
    out[..n].copy_from_slice(&MAGIC[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            seed: 9,
            user: 3,
            owner: Person {
                name: "Ann Lee".into(),
                address: "annl@x.onmicrosoft.com".into(),
            },
            colleagues: vec![Person {
                name: "Bo Chen".into(),
                address: "boc@x.onmicrosoft.com".into(),
            }],
            domain: "x.onmicrosoft.com".into(),
            scale: 1.0,
        }
    }

    #[test]
    fn content_is_deterministic() {
        let t = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let a = message(&ctx(), 5, Role::Received, t);
        let b = message(&ctx(), 5, Role::Received, t);
        assert_eq!(a.subject, b.subject);
        assert_eq!(a.text, b.text);
        assert_eq!(a.to[0], ctx().owner);
        assert_eq!(seeded_bytes(4, 1000, true), seeded_bytes(4, 1000, true));
        assert_eq!(seeded_bytes(4, 1000, false).len(), 1000);
    }
}
