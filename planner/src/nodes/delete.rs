//! `delete()`: fields and tags removed from every point.

use std::fmt;

use super::{Call, Properties, Quoted};

/// The resolved properties of a `delete()` node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteSpec {
    /// `.field(name)`, each setting adding one.
    pub fields: Vec<String>,
    /// `.tag(name)`, each setting adding one.
    pub tags: Vec<String>,
}

impl DeleteSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Self {
        DeleteSpec {
            fields: props.appended_strings("Field"),
            tags: props.appended_strings("Tag"),
        }
    }
}

impl fmt::Display for DeleteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut call = Call::new(f, "delete", &[]);
        for field in &self.fields {
            call = call.prop("field", &[&Quoted(field)]);
        }
        for tag in &self.tags {
            call = call.prop("tag", &[&Quoted(tag)]);
        }
        call.end()
    }
}
