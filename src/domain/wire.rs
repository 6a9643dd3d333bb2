//! Enums with wire spellings. Every enum that appears in a query, a body or an answer is declared
//! with [`wire_enum!`], so its serde names, its JSON Schema (and so the OpenAPI document) and the
//! parser's "is not one of ..." message all come from one list of spellings.

/// An enum as it appears on the wire, with every allowed value, so a query or body parser can
/// name them all when a value is unknown.
pub trait WireEnum: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
    fn allowed() -> String {
        Self::ALL
            .iter()
            .map(|v| format!("'{}'", v.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Declares an enum with its wire spellings: serde renames, a JSON Schema, and [`WireEnum`].
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }
        impl $crate::domain::wire::WireEnum for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }
    };
}

pub(crate) use wire_enum;
