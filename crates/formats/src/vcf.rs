//! vCard 4.0 (RFC 6350) from Microsoft Graph `contact` objects.
//!
//! CRLF line ends, lines folded at 75 octets, text escaped. `docs/export-formats.md`
//! gives the full mapping.

use serde_json::Value;

use crate::contentline::{Lines, escape_text};
use crate::error::FormatError;
use crate::ics::{fmt_utc_instant, parse_date_only};
use crate::json::{Obj, describe};

/// Writes one contact as a vCard.
pub fn contact_to_vcard(contact: &Value) -> Result<String, FormatError> {
    card(contact, &describe("contact", None, contact))
}

/// Writes contacts as one `.vcf` file: their vCards one after another.
///
/// Fails on the first contact that cannot be written; see
/// [`contacts_to_vcf_lenient`] to skip such contacts instead.
pub fn contacts_to_vcf(contacts: &[Value]) -> Result<String, FormatError> {
    let mut out = String::new();
    for (i, contact) in contacts.iter().enumerate() {
        out.push_str(&card(contact, &describe("contact", Some(i), contact))?);
    }
    Ok(out)
}

/// Writes contacts as one `.vcf` file, leaving out the contacts that cannot
/// be written; returns the file and why each was left out.
pub fn contacts_to_vcf_lenient(contacts: &[Value]) -> (String, Vec<FormatError>) {
    let mut out = String::new();
    let mut skipped = Vec::new();
    for (i, contact) in contacts.iter().enumerate() {
        match card(contact, &describe("contact", Some(i), contact)) {
            Ok(text) => out.push_str(&text),
            Err(e) => skipped.push(e),
        }
    }
    (out, skipped)
}

/// Escapes the components of a structured value (N, ADR, ORG) and joins them
/// with `;`.
fn structured(components: &[Option<&str>]) -> String {
    components
        .iter()
        .map(|c| c.map(escape_text).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(";")
}

fn card(value: &Value, name: &str) -> Result<String, FormatError> {
    let contact = Obj::root(value, name, "contact")?;
    let given = contact.text("givenName")?;
    let middle = contact.text("middleName")?;
    let surname = contact.text("surname")?;
    let emails = email_addresses(&contact)?;

    let mut lines = Lines::default();
    lines.push("BEGIN:VCARD");
    lines.push("VERSION:4.0");
    lines.push("PRODID:-//m365vault//EN");
    lines.text("FN", &formatted_name(&contact, &emails)?);
    lines.push(format!(
        "N:{}",
        structured(&[
            surname,
            given,
            middle,
            contact.text("title")?,
            contact.text("generation")?
        ])
    ));
    if let Some(nick) = contact.text("nickName")? {
        lines.text("NICKNAME", nick);
    }
    let company = contact.text("companyName")?;
    let department = contact.text("department")?;
    match (company, department) {
        (None, None) => {}
        (company, None) => lines.push(format!("ORG:{}", structured(&[company]))),
        (company, department) => lines.push(format!("ORG:{}", structured(&[company, department]))),
    }
    if let Some(title) = contact.text("jobTitle")? {
        lines.text("TITLE", title);
    }
    if let Some(role) = contact.text("profession")? {
        lines.text("ROLE", role);
    }
    for (i, address) in emails.iter().enumerate() {
        let pref = if i == 0 { ";PREF=1" } else { "" };
        lines.push(format!("EMAIL;TYPE=work{pref}:{}", escape_text(address)));
    }
    for phone in contact.strs("businessPhones")? {
        lines.text("TEL;TYPE=work,voice", phone);
    }
    for phone in contact.strs("homePhones")? {
        lines.text("TEL;TYPE=home,voice", phone);
    }
    if let Some(phone) = contact.text("mobilePhone")? {
        lines.text("TEL;TYPE=cell", phone);
    }
    for (field, params) in [
        ("businessAddress", ";TYPE=work"),
        ("homeAddress", ";TYPE=home"),
        ("otherAddress", ""),
    ] {
        if let Some(address) = contact.obj(field)? {
            let parts = [
                None,
                None,
                address.text("street")?,
                address.text("city")?,
                address.text("state")?,
                address.text("postalCode")?,
                address.text("countryOrRegion")?,
            ];
            if parts.iter().any(Option::is_some) {
                lines.push(format!("ADR{params}:{}", structured(&parts)));
            }
        }
    }
    if let Some(birthday) = contact.text("birthday")? {
        let date = parse_date_only(birthday)
            .ok_or_else(|| contact.invalid("birthday", birthday, "a date (YYYY-MM-DD…)"))?;
        // Exchange stores a birthday without a year in the year 1604.
        let value = if date.year() == 1604 {
            format!("--{:02}{:02}", u8::from(date.month()), date.day())
        } else {
            format!(
                "{:04}{:02}{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        };
        lines.push(format!("BDAY:{value}"));
    }
    for im in contact.strs("imAddresses")? {
        let im: String = im.trim().chars().filter(|c| !c.is_control()).collect();
        let uri = if im.contains(':') {
            im
        } else {
            format!("sip:{im}")
        };
        lines.push(format!("IMPP:{uri}"));
    }
    if let Some(url) = contact.text("businessHomePage")? {
        let url: String = url.trim().chars().filter(|c| !c.is_control()).collect();
        lines.push(format!("URL;TYPE=work:{url}"));
    }
    if let Some(spouse) = contact.text("spouseName")? {
        lines.text("RELATED;TYPE=spouse;VALUE=text", spouse);
    }
    for child in contact.strs("children")? {
        lines.text("RELATED;TYPE=child;VALUE=text", child);
    }
    if let Some(manager) = contact.text("manager")? {
        lines.text("X-MS-MANAGER", manager);
    }
    if let Some(assistant) = contact.text("assistantName")? {
        lines.text("X-MS-ASSISTANT", assistant);
    }
    let categories = contact.strs("categories")?;
    if !categories.is_empty() {
        let escaped: Vec<String> = categories.iter().map(|c| escape_text(c)).collect();
        lines.push(format!("CATEGORIES:{}", escaped.join(",")));
    }
    if let Some(notes) = contact
        .str("personalNotes")?
        .filter(|n| !n.trim().is_empty())
    {
        lines.text("NOTE", notes);
    }
    if let Some(id) = contact.text("id")? {
        lines.text("UID", id);
    }
    if let Some(modified) = contact.text("lastModifiedDateTime")? {
        let rev = fmt_utc_instant(modified).ok_or_else(|| {
            contact.invalid("lastModifiedDateTime", modified, "a date-time with offset")
        })?;
        lines.push(format!("REV:{rev}"));
    }
    lines.push("END:VCARD");
    Ok(lines.finish())
}

/// The addresses of `emailAddresses`, else of `primaryEmailAddress`,
/// `secondaryEmailAddress` and `tertiaryEmailAddress`.
fn email_addresses<'a>(contact: &Obj<'a>) -> Result<Vec<&'a str>, FormatError> {
    let mut out = Vec::new();
    for email in contact.objs("emailAddresses")? {
        out.extend(email.text("address")?);
    }
    if out.is_empty() {
        for field in [
            "primaryEmailAddress",
            "secondaryEmailAddress",
            "tertiaryEmailAddress",
        ] {
            if let Some(email) = contact.obj(field)? {
                out.extend(email.text("address")?);
            }
        }
    }
    Ok(out)
}

/// FN: `displayName`, else the name parts, else `nickName`, `companyName`,
/// the first e-mail address, `fileAs`; empty when the contact has none.
fn formatted_name(contact: &Obj, emails: &[&str]) -> Result<String, FormatError> {
    if let Some(name) = contact.text("displayName")? {
        return Ok(name.to_owned());
    }
    let parts: Vec<&str> = [
        contact.text("givenName")?,
        contact.text("middleName")?,
        contact.text("surname")?,
    ]
    .into_iter()
    .flatten()
    .collect();
    if !parts.is_empty() {
        return Ok(parts.join(" "));
    }
    for field in ["nickName", "companyName"] {
        if let Some(name) = contact.text(field)? {
            return Ok(name.to_owned());
        }
    }
    if let Some(address) = emails.first() {
        return Ok((*address).to_owned());
    }
    Ok(contact.text("fileAs")?.unwrap_or_default().to_owned())
}
