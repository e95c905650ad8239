//! vCard files read back with calcard.

use anyhow::{Context, Result};
use calcard::vcard::{VCard, VCardEntry, VCardParameterName, VCardProperty, VCardValue};
use m365vault_formats::{FormatError, contact_to_vcard, contacts_to_vcf, contacts_to_vcf_lenient};
use serde_json::{Value, json};

use crate::support::parse_vcards;

fn full_contact() -> Value {
    json!({
        "id": "AAMkADc-contact-1",
        "displayName": "Dr. Ann Q. Doe-Müller",
        "givenName": "Ann", "middleName": "Q", "surname": "Doe-Müller, Jr", "title": "Dr.", "generation": "III",
        "nickName": "Annie", "companyName": "Acme; Inc", "department": "R&D", "jobTitle": "Chief, Research", "profession": "Chemist",
        "emailAddresses": [{ "name": "Ann", "address": "ann@example.com" }, { "name": null, "address": "ann@home.example" }],
        "businessPhones": ["+1 555 0100", "+1 555 0101"], "homePhones": ["+49 30 1234"], "mobilePhone": "+1 555 0199",
        "businessAddress": { "street": "1 Main St\r\nSuite 5", "city": "Springfield; East", "state": "IL", "postalCode": "62701", "countryOrRegion": "United States" },
        "homeAddress": { "street": "Hauptstraße 5", "city": "Berlin", "state": null, "postalCode": "10115", "countryOrRegion": "Germany" },
        "otherAddress": { "street": null, "city": null, "state": null, "postalCode": null, "countryOrRegion": null },
        "birthday": "1980-05-17T11:59:00Z",
        "personalNotes": "Met at the conference; likes tea, not coffee.\nSecond line \\ with a backslash. 日本語のメモも長く書いておきます。折り返しが文字の途中で起きないことを確かめます。",
        "categories": ["VIP", "Partners, EU"],
        "imAddresses": ["sip:ann@im.example", "ann.q@chat.example"],
        "spouseName": "Sam", "children": ["Kim", "Lee"],
        "businessHomePage": "https://example.com/ann",
        "manager": "Bob", "assistantName": "Cy",
        "lastModifiedDateTime": "2026-11-20T17:02:11.1234567Z"
    })
}

fn props<'a>(card: &'a VCard, property: &'a VCardProperty) -> Vec<&'a VCardEntry> {
    card.properties(property).collect()
}

fn texts(entry: &VCardEntry) -> Vec<String> {
    entry
        .values
        .iter()
        .map(|v| match v {
            VCardValue::Text(t) => t.clone(),
            VCardValue::Component(parts) => parts.join(","),
            other => format!("{other:?}"),
        })
        .collect()
}

fn first_text(card: &VCard, property: &VCardProperty) -> Option<String> {
    card.property(property)
        .and_then(|e| texts(e).into_iter().next())
}

fn types(entry: &VCardEntry) -> Vec<String> {
    entry
        .params
        .iter()
        .filter(|p| p.name == VCardParameterName::Type)
        .map(|p| format!("{:?}", p.value))
        .collect()
}

#[test]
fn every_field_of_a_contact_reads_back() -> Result<()> {
    let text = contact_to_vcard(&full_contact())?;
    let cards = parse_vcards(&text)?;
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert!(
        text.contains("\r\n "),
        "the notes are long enough to fold:\n{text}"
    );

    assert_eq!(
        first_text(card, &VCardProperty::Version).as_deref(),
        Some("4.0")
    );
    assert_eq!(
        first_text(card, &VCardProperty::Fn).as_deref(),
        Some("Dr. Ann Q. Doe-Müller")
    );
    let n = card.property(&VCardProperty::N).context("N")?;
    assert_eq!(texts(n), vec!["Doe-Müller, Jr", "Ann", "Q", "Dr.", "III"]);
    assert_eq!(
        first_text(card, &VCardProperty::Nickname).as_deref(),
        Some("Annie")
    );
    assert_eq!(
        texts(card.property(&VCardProperty::Org).context("ORG")?),
        vec!["Acme; Inc", "R&D"]
    );
    assert_eq!(
        first_text(card, &VCardProperty::Title).as_deref(),
        Some("Chief, Research")
    );
    assert_eq!(
        first_text(card, &VCardProperty::Role).as_deref(),
        Some("Chemist")
    );

    let emails = props(card, &VCardProperty::Email);
    assert_eq!(
        emails.iter().map(|e| texts(e).join("")).collect::<Vec<_>>(),
        vec!["ann@example.com", "ann@home.example"]
    );
    assert_eq!(types(emails[0]), vec!["Type(Work)"]);
    let tels = props(card, &VCardProperty::Tel);
    assert_eq!(
        tels.iter()
            .map(|t| (texts(t).join(""), types(t).join("+")))
            .collect::<Vec<_>>(),
        vec![
            (
                "+1 555 0100".to_owned(),
                "Type(Work)+Type(Voice)".to_owned()
            ),
            (
                "+1 555 0101".to_owned(),
                "Type(Work)+Type(Voice)".to_owned()
            ),
            (
                "+49 30 1234".to_owned(),
                "Type(Home)+Type(Voice)".to_owned()
            ),
            ("+1 555 0199".to_owned(), "Type(Cell)".to_owned()),
        ]
    );
    let addresses = props(card, &VCardProperty::Adr);
    assert_eq!(addresses.len(), 2, "the empty otherAddress is left out");
    assert_eq!(types(addresses[0]), vec!["Type(Work)"]);
    assert_eq!(
        texts(addresses[0]),
        vec![
            "",
            "",
            "1 Main St\nSuite 5",
            "Springfield; East",
            "IL",
            "62701",
            "United States"
        ]
    );
    assert_eq!(types(addresses[1]), vec!["Type(Home)"]);
    assert_eq!(
        texts(addresses[1]),
        vec!["", "", "Hauptstraße 5", "Berlin", "", "10115", "Germany"]
    );

    let bday = card.property(&VCardProperty::Bday).context("BDAY")?;
    match bday.values.first() {
        Some(VCardValue::PartialDateTime(d)) => assert_eq!(
            (d.year, d.month, d.day, d.hour),
            (Some(1980), Some(5), Some(17), None)
        ),
        other => anyhow::bail!("BDAY is {other:?}"),
    }
    assert_eq!(
        first_text(card, &VCardProperty::Note).as_deref(),
        full_contact()["personalNotes"].as_str()
    );
    assert_eq!(
        texts(
            card.property(&VCardProperty::Categories)
                .context("CATEGORIES")?
        ),
        vec!["VIP", "Partners, EU"]
    );
    let impp: Vec<_> = props(card, &VCardProperty::Impp)
        .iter()
        .map(|e| texts(e).join(""))
        .collect();
    assert_eq!(impp, vec!["sip:ann@im.example", "sip:ann.q@chat.example"]);
    let related: Vec<_> = props(card, &VCardProperty::Related)
        .iter()
        .map(|e| texts(e).join(""))
        .collect();
    assert_eq!(related, vec!["Sam", "Kim", "Lee"]);
    assert_eq!(
        first_text(card, &VCardProperty::Url).as_deref(),
        Some("https://example.com/ann")
    );
    assert_eq!(card.uid(), Some("AAMkADc-contact-1"));
    match card
        .property(&VCardProperty::Rev)
        .and_then(|e| e.values.first())
    {
        Some(VCardValue::PartialDateTime(d)) => {
            assert_eq!(
                (d.year, d.month, d.day, d.hour, d.minute, d.second),
                (Some(2026), Some(11), Some(20), Some(17), Some(2), Some(11))
            );
        }
        other => anyhow::bail!("REV is {other:?}"),
    }
    Ok(())
}

#[test]
fn a_file_of_contacts_and_name_fallbacks() -> Result<()> {
    let contacts = vec![
        full_contact(),
        json!({ "id": "2", "givenName": "Bo", "surname": "Li" }),
        json!({ "id": "3", "companyName": "Acme" }),
        json!({ "id": "4", "emailAddresses": [], "primaryEmailAddress": { "address": "x@example.com" } }),
        json!({ "id": "5", "birthday": "1604-02-29T00:00:00Z" }),
    ];
    let text = contacts_to_vcf(&contacts)?;
    let cards = parse_vcards(&text)?;
    assert_eq!(cards.len(), contacts.len());
    let names: Vec<_> = cards
        .iter()
        .map(|c| first_text(c, &VCardProperty::Fn).unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        vec![
            "Dr. Ann Q. Doe-Müller",
            "Bo Li",
            "Acme",
            "x@example.com",
            ""
        ]
    );
    assert_eq!(
        first_text(&cards[3], &VCardProperty::Email).as_deref(),
        Some("x@example.com")
    );
    // A birthday without a year (Exchange's 1604) is written as --MMDD.
    assert!(text.contains("\r\nBDAY:--0229\r\n"), "{text}");
    Ok(())
}

#[test]
fn errors_name_the_contact_and_the_field() -> Result<()> {
    let error = contact_to_vcard(&json!(["not", "a", "contact"]))
        .err()
        .context("an error")?;
    assert_eq!(
        error,
        FormatError::NotAnObject {
            item: "contact".into(),
            kind: "contact",
            found: "an array"
        }
    );
    let bad = json!({ "id": "AAMk-bad", "emailAddresses": "ann@example.com" });
    let error = contacts_to_vcf(&[json!({ "id": "ok" }), bad.clone()])
        .err()
        .context("an error")?;
    assert_eq!(
        error.to_string(),
        "contact #1 (id \"AAMk-bad\"): `emailAddresses` should be an array but is a string; the backed-up item is damaged"
    );
    let error = contact_to_vcard(&json!({ "birthday": "soon" }))
        .err()
        .context("an error")?;
    assert!(
        error.to_string().contains("`birthday` is \"soon\""),
        "{error}"
    );
    let (text, skipped) = contacts_to_vcf_lenient(&[json!({ "id": "ok" }), bad]);
    assert_eq!((parse_vcards(&text)?.len(), skipped.len()), (1, 1));
    Ok(())
}
