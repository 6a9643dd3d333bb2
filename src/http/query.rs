//! Strict query-string parsing. Every problem — an unknown or repeated parameter, an empty
//! value, a value outside an enum — is collected, and all of them are reported at once as one
//! `VALIDATION_ERROR`. Unknown parameters are refused rather than ignored because the API's
//! casing differs per endpoint (`organization_id` here, `organizationId` there): a silently
//! ignored filter would return unfiltered data, so the error names the spelling that works.

use std::collections::HashMap;

use crate::domain::wire::WireEnum;
use crate::error::{ApiError, FieldError};

pub struct Query {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
}

fn snake_to_camel(s: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn normalized(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a surface treats unknown query parameters: refused (the default), or ignored with
/// `--lenient-query`. Registered as app data on the API's scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryMode {
    pub lenient: bool,
}

impl Query {
    /// The query of `req`, taking only the parameters in `allowed`; unknown ones are refused, or
    /// ignored where the surface is lenient ([`QueryMode`]).
    pub fn of(req: &actix_web::HttpRequest, allowed: &[&str]) -> Query {
        let lenient = req.app_data::<QueryMode>().is_some_and(|m| m.lenient);
        Query::parse_with(req.query_string(), allowed, lenient)
    }

    /// Parses `raw` (the query string) accepting only the parameters in `allowed`.
    pub fn parse(raw: &str, allowed: &[&str]) -> Query {
        Query::parse_with(raw, allowed, false)
    }

    fn parse_with(raw: &str, allowed: &[&str], lenient: bool) -> Query {
        let mut values = HashMap::new();
        let mut errors = Vec::new();
        match serde_urlencoded::from_str::<Vec<(String, String)>>(raw) {
            Err(e) => errors.push(FieldError::new(
                "query",
                format!("malformed query string: {e}"),
            )),
            Ok(pairs) => {
                for (name, value) in pairs {
                    if !allowed.contains(&name.as_str()) && lenient {
                        continue;
                    }
                    if !allowed.contains(&name.as_str()) {
                        let twin = allowed.iter().find(|a| {
                            normalized(a) == normalized(&name) || snake_to_camel(a) == name
                        });
                        let message = match twin {
                            Some(t) => format!("unknown parameter; this endpoint spells it '{t}'"),
                            None if allowed.is_empty() => {
                                "unknown parameter; this endpoint takes no query parameters".into()
                            }
                            None => format!(
                                "unknown parameter; this endpoint takes {}",
                                allowed
                                    .iter()
                                    .map(|a| format!("'{a}'"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        errors.push(FieldError::new(name, message));
                    } else if let std::collections::hash_map::Entry::Vacant(slot) =
                        values.entry(name.clone())
                    {
                        if value.trim().is_empty() {
                            errors.push(FieldError::new(name, "must not be empty"));
                        } else {
                            slot.insert(value);
                        }
                    } else {
                        errors.push(FieldError::new(name, "given more than once"));
                    }
                }
            }
        }
        Query { values, errors }
    }

    /// A string parameter.
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// A string parameter that may be given empty (`name=`): `Some("")` then, instead of the
    /// usual "must not be empty", for parameters whose own rule says what an empty value is.
    pub fn string_or_empty(&mut self, name: &str) -> Option<String> {
        let before = self.errors.len();
        self.errors
            .retain(|e| !(e.field == name && e.message == "must not be empty"));
        if self.errors.len() < before {
            return Some(String::new());
        }
        self.values.remove(name)
    }

    /// An enum parameter; unknown values are an error listing the allowed ones.
    pub fn enumeration<E: WireEnum>(&mut self, name: &str) -> Option<E> {
        let raw = self.values.remove(name)?;
        match E::parse(&raw) {
            Some(v) => Some(v),
            None => {
                self.errors.push(FieldError::new(
                    name,
                    format!("'{raw}' is not one of {}", E::allowed()),
                ));
                None
            }
        }
    }

    /// An integer parameter within `min..=max`.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.values.remove(name)?;
        match raw.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be an integer from {min} to {max}, got '{raw}'"),
                ));
                None
            }
        }
    }

    /// A boolean parameter (`true`/`false`).
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        let raw = self.values.remove(name)?;
        match raw.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be 'true' or 'false', got '{raw}'"),
                ));
                None
            }
        }
    }

    /// All problems found, as one error.
    pub fn finish(self) -> Result<(), ApiError> {
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
    use crate::domain::registry::Channel;

    #[test]
    fn reads_known_parameters() {
        let mut q = Query::parse(
            "organization_id=org_1&channel=toll-free",
            &["organization_id", "channel"],
        );
        assert_eq!(q.string("organization_id").as_deref(), Some("org_1"));
        assert_eq!(q.enumeration::<Channel>("channel"), Some(Channel::TollFree));
        assert!(q.finish().is_ok());
    }

    #[test]
    fn reports_every_problem_at_once() {
        let mut q = Query::parse(
            "organizationId=x&channel=fax&brand_id=&brand_id=b&bogus=1",
            &["organization_id", "channel", "brand_id"],
        );
        let _ = q.enumeration::<Channel>("channel");
        let Err(ApiError::Validation(errors)) = q.finish() else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["organizationId", "brand_id", "bogus", "channel"]);
        assert!(errors[0].message.contains("'organization_id'"));
        assert!(errors[3].message.contains("'10dlc'"));
    }

    #[test]
    fn suggests_the_camel_case_twin() {
        let q = Query::parse("organization_id=x", &["organizationId"]);
        let Err(ApiError::Validation(errors)) = q.finish() else {
            panic!("expected a validation error");
        };
        assert!(errors[0].message.contains("'organizationId'"));
    }

    #[test]
    fn decodes_percent_and_plus() {
        let mut q = Query::parse("status=In%20Progress&x=a+b", &["status", "x"]);
        assert_eq!(q.string("status").as_deref(), Some("In Progress"));
        assert_eq!(q.string("x").as_deref(), Some("a b"));
    }

    #[test]
    fn integers_and_booleans_are_range_checked() {
        let mut q = Query::parse("limit=0&include_test=yes", &["limit", "include_test"]);
        assert_eq!(q.integer("limit", 1, 200), None);
        assert_eq!(q.boolean("include_test"), None);
        let Err(ApiError::Validation(errors)) = q.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(errors.len(), 2);
    }
}
