//! What reading a JSON body must not let through (see `error::Json`): a struct that serde read
//! from an array of its fields (the schema says object), and text holding a control character.
//! Both are looked for by writing the body as read — a `serde::Serializer` that builds nothing —
//! beside the JSON as sent: a push of a thousand changes is read on every sync, and writing it
//! back into a `Value` to compare took longer than reading it.

use std::fmt;

use serde::ser::{self, Serialize};
use serde_json::Value;
use stint_api::is_control_text;

/// The first thing found, with its JSON path (`$.mutations[2].args`).
#[derive(Debug, PartialEq)]
pub enum Finding {
    ObjectSentAsArray(String),
    ControlText(String),
    /// The body could not be written back at all (a map with keys JSON cannot hold).
    Unwritable(String),
}

/// Walks `read` (the body as read) beside `sent` (the JSON as sent).
pub fn check<T: Serialize>(read: &T, sent: &Value) -> Result<(), Finding> {
    read.serialize(Checker {
        sent: Some(sent),
        path: Path::Root,
    })
}

/// Where the walk is, kept as borrowed frames: written out only for a finding.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => "$".to_string(),
            Path::Key(parent, key) => {
                let mut path = parent.render();
                crate::error::push_key(&mut path, key);
                path
            }
            Path::Index(parent, index) => format!("{}[{index}]", parent.render()),
        }
    }
}

struct Checker<'p, 'v> {
    /// The same place in the JSON as sent, if it has one.
    sent: Option<&'v Value>,
    path: Path<'p>,
}

impl<'p, 'v> Checker<'p, 'v> {
    /// What serde writes as an object here, sent as an array, was read from that array.
    fn object(self) -> Result<Compound<'p, 'v>, Finding> {
        if matches!(self.sent, Some(Value::Array(_))) {
            return Err(Finding::ObjectSentAsArray(self.path.render()));
        }
        Ok(Compound {
            sent: self.sent,
            path: self.path,
            variant: None,
            index: 0,
            key: None,
        })
    }

    fn array(self) -> Compound<'p, 'v> {
        Compound {
            sent: self.sent,
            path: self.path,
            variant: None,
            index: 0,
            key: None,
        }
    }

    fn text(&self, text: &str) -> Result<(), Finding> {
        if is_control_text(text) {
            return Err(Finding::ControlText(self.path.render()));
        }
        Ok(())
    }
}

fn field<'v>(sent: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    sent.and_then(|sent| sent.get(key))
}

/// An object or array being written: its fields or elements are checked as they come.
struct Compound<'p, 'v> {
    sent: Option<&'v Value>,
    path: Path<'p>,
    /// An enum variant written as `{ variant: … }` around the fields or elements.
    variant: Option<&'static str>,
    index: usize,
    /// A map's key written before its value.
    key: Option<String>,
}

impl Compound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Finding> {
        let index = self.index;
        self.index += 1;
        let (sent, outer) = match self.variant {
            Some(variant) => (field(self.sent, variant), Path::Key(&self.path, variant)),
            None => (self.sent, self.path),
        };
        value.serialize(Checker {
            sent: sent.and_then(|sent| sent.get(index)),
            path: Path::Index(&outer, index),
        })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Finding> {
        let (sent, outer) = match self.variant {
            Some(variant) => (field(self.sent, variant), Path::Key(&self.path, variant)),
            None => (self.sent, self.path),
        };
        let path = Path::Key(&outer, key);
        if is_control_text(key) {
            return Err(Finding::ControlText(path.render()));
        }
        value.serialize(Checker {
            sent: field(sent, key),
            path,
        })
    }
}

impl ser::Error for Finding {
    fn custom<T: fmt::Display>(message: T) -> Finding {
        Finding::Unwritable(message.to_string())
    }
}

impl std::error::Error for Finding {}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::ObjectSentAsArray(path) => write!(f, "`{path}` must be a JSON object"),
            Finding::ControlText(path) => write!(f, "text in `{path}` holds a control character"),
            Finding::Unwritable(message) => f.write_str(message),
        }
    }
}

/// Values with nothing to check in them.
macro_rules! nothing_to_check {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Finding> { Ok(()) })*
    };
}

impl<'p, 'v> ser::Serializer for Checker<'p, 'v> {
    type Ok = ();
    type Error = Finding;
    type SerializeSeq = Compound<'p, 'v>;
    type SerializeTuple = Compound<'p, 'v>;
    type SerializeTupleStruct = Compound<'p, 'v>;
    type SerializeTupleVariant = Compound<'p, 'v>;
    type SerializeMap = Compound<'p, 'v>;
    type SerializeStruct = Compound<'p, 'v>;
    type SerializeStructVariant = Compound<'p, 'v>;

    nothing_to_check! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_i128(i128); serialize_u8(u8); serialize_u16(u16);
        serialize_u32(u32); serialize_u64(u64); serialize_u128(u128); serialize_f32(f32);
        serialize_f64(f64); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_char(self, v: char) -> Result<(), Finding> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Finding> {
        self.text(v)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Finding> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Finding> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Finding> {
        self.object()?.field(variant, value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'p, 'v>, Finding> {
        Ok(self.array())
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'p, 'v>, Finding> {
        Ok(self.array())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'p, 'v>, Finding> {
        Ok(self.array())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'p, 'v>, Finding> {
        let mut compound = self.object()?;
        compound.variant = Some(variant);
        Ok(compound)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'p, 'v>, Finding> {
        self.object()
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'p, 'v>, Finding> {
        self.object()
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'p, 'v>, Finding> {
        let mut compound = self.object()?;
        // `{ variant: { … } }`: the inner object, sent as an array, is refused too.
        if matches!(field(compound.sent, variant), Some(Value::Array(_))) {
            return Err(Finding::ObjectSentAsArray(
                Path::Key(&compound.path, variant).render(),
            ));
        }
        compound.variant = Some(variant);
        Ok(compound)
    }
}

/// Arrays (and tuples): each element is checked in its place.
macro_rules! elements {
    ($($trait:ident::$method:ident;)*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Finding;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Finding> {
                self.element(value)
            }
            fn end(self) -> Result<(), Finding> {
                Ok(())
            }
        }
    )*};
}

elements! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

/// Structs: each field is checked under its name.
macro_rules! fields {
    ($($trait:ident;)*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Finding;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Finding> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Finding> {
                Ok(())
            }
        }
    )*};
}

fields! {
    SerializeStruct;
    SerializeStructVariant;
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Finding;

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Finding> {
        key.serialize(MapEntry {
            compound: self,
            value,
        })
    }

    /// An entry written in two steps (a flattened enum's variant): the key waits for its value.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Finding> {
        let key = serde_json::to_value(key).map_err(|e| Finding::Unwritable(e.to_string()))?;
        self.key = Some(match key {
            Value::String(text) => text,
            other => other.to_string(),
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Finding> {
        let key = self.key.take().unwrap_or_default();
        self.field(&key, value)
    }

    fn end(self) -> Result<(), Finding> {
        Ok(())
    }
}

/// A map's entry, written from its key: JSON's keys are strings (numbers are written as such),
/// and the value is checked under its key.
struct MapEntry<'c, 'p, 'v, V: ?Sized> {
    compound: &'c mut Compound<'p, 'v>,
    value: &'c V,
}

/// Keys written as their number, as serde_json writes them.
macro_rules! number_keys {
    ($($method:ident($number:ty);)*) => {
        $(fn $method(self, key: $number) -> Result<(), Finding> {
            self.compound.field(&key.to_string(), self.value)
        })*
    };
}

/// Keys JSON cannot hold.
macro_rules! not_keys {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, Finding> {
            Err(Finding::Unwritable("a map key that is neither text nor a number".into()))
        })*
    };
}

impl<V: Serialize + ?Sized> ser::Serializer for MapEntry<'_, '_, '_, V> {
    type Ok = ();
    type Error = Finding;
    type SerializeSeq = ser::Impossible<(), Finding>;
    type SerializeTuple = ser::Impossible<(), Finding>;
    type SerializeTupleStruct = ser::Impossible<(), Finding>;
    type SerializeTupleVariant = ser::Impossible<(), Finding>;
    type SerializeMap = ser::Impossible<(), Finding>;
    type SerializeStruct = ser::Impossible<(), Finding>;
    type SerializeStructVariant = ser::Impossible<(), Finding>;

    fn serialize_str(self, key: &str) -> Result<(), Finding> {
        self.compound.field(key, self.value)
    }

    fn serialize_char(self, key: char) -> Result<(), Finding> {
        self.compound
            .field(key.encode_utf8(&mut [0; 4]), self.value)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Finding> {
        self.compound.field(variant, self.value)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        key: &T,
    ) -> Result<(), Finding> {
        key.serialize(self)
    }

    number_keys! {
        serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_i128(i128); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_u128(u128);
    }

    not_keys! {
        serialize_bool(bool) -> (); serialize_f32(f32) -> (); serialize_f64(f64) -> ();
        serialize_bytes(&[u8]) -> (); serialize_none() -> (); serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Finding> {
        Err(Finding::Unwritable(
            "a map key that is neither text nor a number".into(),
        ))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Finding> {
        Err(Finding::Unwritable(
            "a map key that is neither text nor a number".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    #[test]
    fn control_text_is_found_at_any_depth_in_keys_and_values() {
        let clean = json!({ "note": "a\tb\r\nc", "list": [1, "ok", { "k": null }] });
        assert_eq!(check(&clean, &clean), Ok(()));
        let cases = [
            (json!("a\u{0}"), "$"),
            (json!({ "email": "ana\u{0}@x" }), "$.email"),
            (json!({ "a": [1, { "b c": "\u{7}" }] }), "$.a[1][\"b c\"]"),
            (json!({ "ok": 1, "k\u{1b}": 2 }), "$[\"k\\u001b\"]"),
            (json!({ "x": ["fine", "del\u{7f}"] }), "$.x[1]"),
            (json!({ "c1": "\u{85}" }), "$.c1"),
        ];
        for (value, path) in cases {
            assert_eq!(
                check(&value, &value),
                Err(Finding::ControlText(path.into())),
                "{value}"
            );
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Args {
        id: String,
        n: u32,
    }

    #[derive(Serialize, Deserialize)]
    struct Body {
        args: Args,
        #[serde(default)]
        list: Vec<Args>,
    }

    #[test]
    fn a_struct_read_from_an_array_is_found_where_it_was() {
        let cases = [
            (json!({ "args": ["x", 1] }), "$.args"),
            (
                json!({ "args": { "id": "x", "n": 1 }, "list": [{ "id": "y", "n": 2 }, ["z", 3]] }),
                "$.list[1]",
            ),
        ];
        for (sent, path) in cases {
            let read: Body = serde_json::from_value(sent.clone()).expect("serde takes arrays");
            assert_eq!(
                check(&read, &sent),
                Err(Finding::ObjectSentAsArray(path.into())),
                "{sent}"
            );
        }
        let sent = json!({ "args": { "id": "x", "n": 1 }, "list": [], "ignored": [1, 2] });
        let read: Body = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(check(&read, &sent), Ok(()));
    }

    #[derive(Serialize, Deserialize)]
    enum Kind {
        Span { from: u32, to: u32 },
    }

    #[derive(Serialize, Deserialize)]
    struct Flattened {
        #[serde(flatten)]
        kind: Kind,
    }

    #[test]
    fn a_flattened_enum_written_key_then_value_is_checked_under_its_key() {
        let sent = json!({ "Span": { "from": 1, "to": 2 } });
        let read: Flattened = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(check(&read, &sent), Ok(()));
        let sent = json!({ "Span": [1, 2] });
        if let Ok(read) = serde_json::from_value::<Flattened>(sent.clone()) {
            assert_eq!(
                check(&read, &sent),
                Err(Finding::ObjectSentAsArray("$.Span".into()))
            );
        }
    }

    #[test]
    fn a_push_as_devices_send_it_is_clean() {
        use stint_api::sync::{Intent, Mutation, PushRequest};
        let at = chrono::Utc::now();
        let intent = Intent::StartTimer {
            timer_id: uuid::Uuid::now_v7(),
            task_id: uuid::Uuid::now_v7(),
            at,
        };
        let sent = json!({
            "protocol_version": 2,
            "stream_id": uuid::Uuid::now_v7(),
            "mutations": [serde_json::to_value(Mutation::new(1, intent, at)).unwrap()],
        });
        let request: PushRequest = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(check(&request, &sent), Ok(()));
    }
}
