//! A list recipient's merge values and columns, read from the list without building a map.

use crate::domain::contacts::{ContactList, Contacts};
use crate::domain::message::{self, MergeValues};

/// A list recipient's merge values, read from the list's columns without building a map.
pub(super) struct RowValues<'a> {
    pub(super) contacts: &'a Contacts,
    /// (tag, column) of the list's merge tags.
    pub(super) columns: &'a [(String, usize)],
    pub(super) row: usize,
    pub(super) phone: &'a str,
}

impl MergeValues for RowValues<'_> {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        if tag == message::PHONE_TAG {
            return Some(self.phone);
        }
        self.columns
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, col)| self.contacts.field(self.row, *col))
    }
}

/// The (tag, column) pairs of a list, and the column of a field by tag or header name.
pub(super) fn columns(list: &ContactList) -> Vec<(String, usize)> {
    list.merge_tags
        .iter()
        .filter_map(|t| {
            list.contacts
                .headers
                .iter()
                .position(|h| *h == t.csv_column)
                .map(|col| (t.merge_tag.clone(), col))
        })
        .collect()
}
