//! Go `text/template` as Kapacitor's templates use it (httpPost URLs, alert ids and
//! messages): literal text with `{{ .Name }}` fields and `{{ index .Tags "key" }}` lookups,
//! with `{{-` and `-}}` trimming the white space beside them.

use std::collections::BTreeMap;

/// What a template reads: named values and maps of strings.
#[derive(Debug, Clone, Default)]
pub struct TemplateData {
    /// `.Name`, `.ID`, `.Level`, …: the value as the template prints it.
    pub fields: BTreeMap<String, String>,
    /// `.Tags`, `.Fields`, …: maps read with `index`.
    pub maps: BTreeMap<String, BTreeMap<String, String>>,
}

/// A template action or text.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field(String),
    Index(String, String),
}

/// A parsed template, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; an action this subset does not know is an error naming it.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let mut literal = rest[..start].to_owned();
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed action in template {text:?}"))?;
            let mut action = &after[..end];
            if let Some(trimmed) = action.strip_prefix('-') {
                action = trimmed;
                literal = literal.trim_end().to_owned();
            }
            let mut next = &after[end + 2..];
            if let Some(trimmed) = action.strip_suffix('-') {
                action = trimmed;
                next = next.trim_start();
            }
            if !literal.is_empty() {
                parts.push(Part::Text(literal));
            }
            parts.push(parse_action(action.trim())?);
            rest = next;
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template {
            source: text.to_owned(),
            parts,
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The template filled in from `data`; an absent key prints as nothing, as Go prints a
    /// missing map entry's zero value.
    pub fn render(&self, data: &TemplateData) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(name) => out.push_str(data.fields.get(name).map_or("", String::as_str)),
                Part::Index(map, key) => out.push_str(
                    data.maps
                        .get(map)
                        .and_then(|m| m.get(key))
                        .map_or("", String::as_str),
                ),
            }
        }
        out
    }
}

fn parse_action(action: &str) -> Result<Part, String> {
    let words: Vec<&str> = action.split_whitespace().collect();
    match words.as_slice() {
        [field] if field.starts_with('.') && field.len() > 1 => {
            Ok(Part::Field(field[1..].to_owned()))
        }
        ["index", map, key]
            if map.starts_with('.')
                && key.len() >= 2
                && key.starts_with('"')
                && key.ends_with('"') =>
        {
            Ok(Part::Index(
                map[1..].to_owned(),
                key[1..key.len() - 1].to_owned(),
            ))
        }
        _ => Err(format!(
            "template action {{{{ {action} }}}} is not supported yet"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_index_lookups_render() {
        let template = Template::parse(
            "http://x/{{ .Name }}/?host={{ index .Tags \"host\"}}&cpu={{ index .Tags \"cpu\" }}",
        )
        .unwrap();
        let mut data = TemplateData::default();
        data.fields.insert("Name".into(), "cpu".into());
        data.maps
            .entry("Tags".into())
            .or_default()
            .insert("host".into(), "serverA".into());
        assert_eq!(template.render(&data), "http://x/cpu/?host=serverA&cpu=");
        assert!(
            Template::parse("{{ if .X }}")
                .unwrap_err()
                .contains("not supported")
        );
        assert_eq!(
            Template::parse("a  {{- .N -}}  b").unwrap().render(&data),
            "ab"
        );
    }
}
