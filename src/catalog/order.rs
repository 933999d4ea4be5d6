//! The order of the members of every `properties` of a schema, as its
//! author wrote them: `serde_json::Value` sorts object members, and a form
//! generated from the schema must ask for the agent before the dates.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// A JSON value keeping its members' order.
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Other,
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Ordered>()? {
                    out.push((k, v));
                }
                Ok(Ordered::Object(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<Ordered>()? {
                    out.push(v);
                }
                Ok(Ordered::Array(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// For every object of the schema that has `properties` (by the JSON
/// pointer of that object), the property names in the file's order.
pub fn property_orders(bytes: &[u8]) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    if let Ok(v) = serde_json::from_slice::<Ordered>(bytes) {
        walk(&v, &mut String::new(), &mut out);
    }
    out
}

fn walk(v: &Ordered, ptr: &mut String, out: &mut HashMap<String, Vec<String>>) {
    match v {
        Ordered::Object(members) => {
            for (k, child) in members {
                if k == "properties"
                    && let Ordered::Object(props) = child
                {
                    out.insert(ptr.clone(), props.iter().map(|(k, _)| k.clone()).collect());
                }
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk(child, ptr, out);
                ptr.truncate(len);
            }
        }
        Ordered::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push_str(&format!("/{i}"));
                walk(child, ptr, out);
                ptr.truncate(len);
            }
        }
        Ordered::Other => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn properties_keep_the_order_they_were_written_in() {
        let orders = super::property_orders(
            br#"{"properties": {"z": {}, "a": {"properties": {"y": 1, "b": 2}}}, "$defs": {"d": {"properties": {"m": {}, "c": {}}}}}"#,
        );
        assert_eq!(orders[""], ["z", "a"]);
        assert_eq!(orders["/properties/a"], ["y", "b"]);
        assert_eq!(orders["/$defs/d"], ["m", "c"]);
    }
}
