//! Instants in JSON, written and read as chrono does (RFC 3339 in UTC, `Z`, the fraction only as
//! long as needed), but without chrono's slow paths: its serializer writes through a formatter
//! that serde_json escapes piece by piece, and its parser is lenient and general. Pages of
//! thousands of entries carry two instants each; with chrono's own code they were most of the
//! time spent on JSON in a pull. The text is byte for byte chrono's (an intent's fingerprint is
//! the hash of its JSON), and anything the fast reader does not take goes to chrono's.
//!
//! Use with `#[serde(with = "crate::instant")]` on a `DateTime<Utc>` field.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{de, Deserializer, Serializer};

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime<Utc>, E> {
            parse(text).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(Visitor)
}

/// `text` as an instant: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` read directly, anything else (an
/// offset, a lower-case `t`, a leap second …) as chrono reads it.
fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_utc(text.as_bytes()) {
        Some(at) => Ok(at),
        None => Ok(text.parse::<DateTime<FixedOffset>>()?.with_timezone(&Utc)),
    }
}

fn parse_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &digit| {
            digit
                .is_ascii_digit()
                .then(|| n * 10 + u32::from(digit - b'0'))
        })
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(20, 20 + digits.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?;
    // Seconds up to 59 only (a leap second, `:60`, is left to chrono).
    let time =
        NaiveTime::from_hms_nano_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Ours(#[serde(with = "crate::instant")] DateTime<Utc>);

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Chronos(DateTime<Utc>);

    proptest! {
        #[test]
        fn writes_what_chrono_writes_and_reads_it_back(
            secs in -62_000_000_000i64..253_402_300_799,
            nanos in prop_oneof![Just(0u32), (0u32..1000).prop_map(|ms| ms * 1_000_000), 0u32..1_000_000_000],
        ) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let ours = serde_json::to_string(&Ours(at)).unwrap();
            prop_assert_eq!(&ours, &serde_json::to_string(&Chronos(at)).unwrap());
            prop_assert_eq!(serde_json::from_str::<Ours>(&ours).unwrap(), Ours(at));
        }

        #[test]
        fn reads_any_text_as_chrono_does(text in "20[0-9]{2}-(0[1-9]|1[0-3])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-4]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{0,10})?(Z|z|[+-][0-9]{2}:[0-9]{2})?") {
            let json = serde_json::to_string(&text).unwrap();
            let ours = serde_json::from_str::<Ours>(&json).map(|o| o.0).ok();
            let chronos = serde_json::from_str::<Chronos>(&json).map(|c| c.0).ok();
            prop_assert_eq!(ours, chronos);
        }
    }

    #[test]
    fn reads_the_edges_as_chrono_does() {
        for text in [
            "2026-12-07T20:56:28Z",
            "2026-12-07T20:56:28.6Z",
            "2026-12-07T20:56:28.608530869Z",
            "2026-12-07T20:56:28.6085308691Z",
            "2026-12-07T20:56:28.Z",
            "2026-12-07T20:56:60Z",
            "2016-12-31T23:59:60Z",
            "2026-02-29T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2026-12-07t20:56:28Z",
            "2026-12-07 20:56:28Z",
            "2026-12-07T20:56:28+02:00",
            "2026-12-07T24:00:00Z",
            "+2026-12-07T20:56:28Z",
            "2026-1-07T20:56:28Z",
            "",
        ] {
            let json = serde_json::to_string(text).unwrap();
            let ours = serde_json::from_str::<Ours>(&json).map(|o| o.0).ok();
            let chronos = serde_json::from_str::<Chronos>(&json).map(|c| c.0).ok();
            assert_eq!(ours, chronos, "{text}");
        }
    }
}
