//! Strict JSON bodies. A body is taken field by field; wrong types, out-of-range values, missing
//! required fields and unknown properties are all collected and reported together as one
//! `VALIDATION_ERROR` whose `details` name each field by its JSON path.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpRequest;
use serde_json::{Map, Value};

use crate::domain::wire::WireEnum;
use crate::error::{ApiError, FieldError};

pub struct Body {
    prefix: String,
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Body {
    /// Parses a request body; an empty body is an empty object.
    pub fn parse(req: &HttpRequest, bytes: &[u8]) -> Result<Body, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body::from_map(String::new(), Map::new()));
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !(mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        match value {
            Value::Object(map) => Ok(Body::from_map(String::new(), map)),
            other => Err(ApiError::validation(
                "body",
                format!("must be a JSON object, got {}", type_name(&other)),
            )),
        }
    }

    fn from_map(prefix: String, map: Map<String, Value>) -> Body {
        Body {
            prefix,
            map,
            errors: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn fail(&mut self, name: &str, message: impl Into<String>) {
        let field = self.path(name);
        self.errors.push(FieldError::new(field, message));
    }

    /// Whether `name` is present and not null (before it is taken).
    pub fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    /// Whether `name` is present as an explicit `null` (a PATCH clearing a nullable field).
    pub fn is_null(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(Value::is_null)
    }

    /// A nullable string for a PATCH: absent → `None`, `null` → `Some(None)`, a string →
    /// `Some(Some(..))` (checked like [`Body::string`]).
    pub fn nullable_string(&mut self, name: &str, max_len: usize) -> Option<Option<String>> {
        if self.is_null(name) {
            self.map.remove(name);
            return Some(None);
        }
        self.string(name, false, max_len).map(Some)
    }

    /// The properties not taken yet (a free-form object such as `merge_values`).
    pub fn keys(&self) -> Vec<String> {
        self.map.keys().cloned().collect()
    }

    /// A string that may be empty or blank (free text the caller's rule checks itself).
    pub fn string_allow_empty(&mut self, name: &str, max_len: usize) -> Option<String> {
        match self.take(name, false)? {
            Value::String(s) if s.chars().count() > max_len => {
                self.fail(name, format!("must be at most {max_len} characters"));
                None
            }
            Value::String(s) => Some(s),
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be a string, got {t}"));
                None
            }
        }
    }

    /// An array of strings (ids), each checked: non-empty, at most `max_len` characters.
    pub fn strings(&mut self, name: &str, required: bool, max_len: usize) -> Option<Vec<String>> {
        let items = self.array(name, required)?;
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) if !s.trim().is_empty() && s.chars().count() <= max_len => {
                    out.push(s)
                }
                Value::String(_) => self.fail(
                    &format!("{name}[{i}]"),
                    format!("must be 1-{max_len} characters"),
                ),
                other => {
                    let t = type_name(&other);
                    self.fail(
                        &format!("{name}[{i}]"),
                        format!("must be a string, got {t}"),
                    )
                }
            }
        }
        Some(out)
    }

    /// Takes `name`; a missing required field is an error. `null` counts as missing.
    fn take(&mut self, name: &str, required: bool) -> Option<Value> {
        match self.map.remove(name) {
            Some(Value::Null) | None => {
                if required {
                    self.fail(name, "is required");
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    pub fn string(&mut self, name: &str, required: bool, max_len: usize) -> Option<String> {
        match self.take(name, required)? {
            Value::String(s) if s.trim().is_empty() => {
                self.fail(name, "must not be empty");
                None
            }
            Value::String(s) if s.chars().count() > max_len => {
                self.fail(name, format!("must be at most {max_len} characters"));
                None
            }
            Value::String(s) => Some(s),
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be a string, got {t}"));
                None
            }
        }
    }

    pub fn integer(&mut self, name: &str, required: bool, min: i64, max: i64) -> Option<i64> {
        let v = self.take(name, required)?;
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.fail(name, format!("must be from {min} to {max}"));
                None
            }
            None => {
                let t = type_name(&v);
                self.fail(name, format!("must be an integer, got {t}"));
                None
            }
        }
    }

    pub fn number(&mut self, name: &str, required: bool, min: f64, max: f64) -> Option<f64> {
        let v = self.take(name, required)?;
        match v.as_f64() {
            Some(n) if n.is_finite() && n >= min && n <= max => Some(n),
            Some(_) => {
                self.fail(name, format!("must be from {min} to {max}"));
                None
            }
            None => {
                let t = type_name(&v);
                self.fail(name, format!("must be a number, got {t}"));
                None
            }
        }
    }

    pub fn boolean(&mut self, name: &str, required: bool) -> Option<bool> {
        match self.take(name, required)? {
            Value::Bool(b) => Some(b),
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be a boolean, got {t}"));
                None
            }
        }
    }

    pub fn enumeration<E: WireEnum>(&mut self, name: &str, required: bool) -> Option<E> {
        match self.take(name, required)? {
            Value::String(s) => match E::parse(&s) {
                Some(v) => Some(v),
                None => {
                    self.fail(name, format!("'{s}' is not one of {}", E::allowed()));
                    None
                }
            },
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be one of {}, got {t}", E::allowed()));
                None
            }
        }
    }

    /// An array of enum values, each checked.
    pub fn enumerations<E: WireEnum>(&mut self, name: &str, required: bool) -> Option<Vec<E>> {
        match self.take(name, required)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str().and_then(E::parse) {
                        Some(v) => out.push(v),
                        None => self.fail(
                            &format!("{name}[{i}]"),
                            format!("must be one of {}", E::allowed()),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be an array, got {t}"));
                None
            }
        }
    }

    /// An array's items, for the caller to check one by one.
    pub fn array(&mut self, name: &str, required: bool) -> Option<Vec<Value>> {
        match self.take(name, required)? {
            Value::Array(items) => Some(items),
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be an array, got {t}"));
                None
            }
        }
    }

    /// Item `i` of array `name` as a nested object; call [`Body::absorb`] when done with it.
    pub fn element_object(&mut self, name: &str, i: usize, item: Value) -> Option<Body> {
        let path = format!("{name}[{i}]");
        match item {
            Value::Object(map) => Some(Body::from_map(self.path(&path), map)),
            other => {
                let t = type_name(&other);
                self.fail(&path, format!("must be an object, got {t}"));
                None
            }
        }
    }

    /// A nested object, parsed with the same rules; call [`Body::absorb`] when done with it.
    pub fn object(&mut self, name: &str, required: bool) -> Option<Body> {
        match self.take(name, required)? {
            Value::Object(map) => Some(Body::from_map(self.path(name), map)),
            other => {
                let t = type_name(&other);
                self.fail(name, format!("must be an object, got {t}"));
                None
            }
        }
    }

    /// Takes over a nested body's problems, including its unknown properties.
    pub fn absorb(&mut self, nested: Body) {
        let mut nested = nested;
        nested.flag_unknown();
        self.errors.append(&mut nested.errors);
    }

    /// Records a rule violation found after parsing (cross-field rules).
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        self.fail(name, message);
    }

    fn flag_unknown(&mut self) {
        let unknown: Vec<String> = self.map.keys().cloned().collect();
        for name in unknown {
            self.fail(&name, "unknown property");
        }
        self.map.clear();
    }

    /// Every problem found, as one error; unknown properties included.
    pub fn finish(mut self) -> Result<(), ApiError> {
        self.flag_unknown();
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn body(json: &str) -> Body {
        let req = TestRequest::default()
            .insert_header((CONTENT_TYPE, "application/json"))
            .to_http_request();
        Body::parse(&req, json.as_bytes()).expect("parses")
    }

    #[test]
    fn collects_every_problem_with_paths() {
        let mut b =
            body(r#"{"name": 5, "limit": 0, "extra": true, "nested": {"x": "y", "n": "s"}}"#);
        assert_eq!(b.string("name", true, 100), None);
        assert_eq!(b.integer("limit", true, 1, 10), None);
        assert_eq!(b.string("missing", true, 10), None);
        if let Some(mut nested) = b.object("nested", false) {
            assert_eq!(nested.integer("n", true, 0, 1), None);
            b.absorb(nested);
        }
        let Err(ApiError::Validation(errors)) = b.finish() else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "limit", "missing", "nested.n", "nested.x", "extra"]
        );
    }

    #[test]
    fn refuses_non_json_and_non_objects() {
        let form = TestRequest::default()
            .insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .to_http_request();
        assert!(matches!(
            Body::parse(&form, b"a=b"),
            Err(ApiError::UnsupportedMediaType)
        ));
        let json = TestRequest::default()
            .insert_header((CONTENT_TYPE, "application/json; charset=utf-8"))
            .to_http_request();
        assert!(matches!(
            Body::parse(&json, b"{bad"),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(matches!(
            Body::parse(&json, b"[1]"),
            Err(ApiError::Validation(_))
        ));
        assert!(Body::parse(&json, b"").is_ok());
    }
}
