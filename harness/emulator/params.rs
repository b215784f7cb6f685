//! Action parameters: turning what arrived (a JSON body, or flattened
//! `Name.0.Field=value` pairs from a query or a form) into one JSON object,
//! and checking its shape against the catalog's parameter list.
//!
//! Shape, in this order: a name the action does not have is
//! `UnknownParameter`; a required parameter absent, null or empty is
//! `MissingParameter.ErrorParameterEmpty`; a value of the wrong JSON type is
//! `InvalidParameter`. Value rules (ID characters, lengths...) come later,
//! in the actions.

use serde_json::{Map, Number, Value};

use crate::api::{Action, Param, ParamType, validate::PARAMETER_EMPTY};

use super::state::Reject;

fn unknown(name: &str) -> Reject {
    Reject::with(
        "UnknownParameter",
        format!("the parameter `{name}` is not recognized"),
    )
}

fn bad_type(name: &str) -> Reject {
    Reject::with(
        "InvalidParameter",
        format!("the value type of parameter `{name}` is not valid"),
    )
}

/// Types a flattened text value as `param` says.
fn scalar(param: &Param, full_name: &str, text: &str) -> Result<Value, Reject> {
    match param.ty {
        ParamType::String => Ok(Value::String(text.to_string())),
        ParamType::Integer => {
            if let Ok(i) = text.parse::<i64>() {
                Ok(Value::Number(i.into()))
            } else if let Ok(u) = text.parse::<u64>() {
                Ok(Value::Number(u.into()))
            } else {
                Err(bad_type(full_name))
            }
        }
        ParamType::Float => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad_type(full_name)),
        ParamType::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad_type(full_name)),
        },
        _ => Err(bad_type(full_name)),
    }
}

fn index_of(part: Option<&str>, full_name: &str) -> Result<usize, Reject> {
    part.and_then(|p| p.parse::<usize>().ok())
        .filter(|i| *i < 1000)
        .ok_or_else(|| bad_type(full_name))
}

fn slot(items: &mut Vec<Value>, index: usize, fresh: Value) -> &mut Value {
    if items.len() <= index {
        items.resize(index + 1, Value::Null);
    }
    let place = &mut items[index];
    if place.is_null() {
        *place = fresh;
    }
    place
}

/// `Name[.N].Field=value`: the field the next part names, last in the key,
/// and its value.
fn field_value<'k>(
    param: &Param,
    parts: &mut impl Iterator<Item = &'k str>,
    key: &str,
    text: &str,
) -> Result<(&'k str, Value), Reject> {
    let field_name = parts.next().ok_or_else(|| bad_type(key))?;
    let field = param
        .fields
        .iter()
        .find(|f| f.name == field_name)
        .ok_or_else(|| unknown(key))?;
    if parts.next().is_some() {
        return Err(bad_type(key));
    }
    Ok((field_name, scalar(field, key, text)?))
}

/// Builds the parameter object from flattened pairs, leaving out the
/// common parameters.
pub(crate) fn unflatten(
    action: &Action,
    pairs: &[(String, String)],
) -> Result<Map<String, Value>, Reject> {
    let mut out = Map::new();
    for (key, text) in pairs {
        if crate::api::V1_COMMON_PARAMS.contains(&key.as_str()) {
            continue;
        }
        let mut parts = key.split('.');
        let base = parts.next().unwrap_or_default();
        let param = action.param(base).ok_or_else(|| unknown(key))?;
        match param.ty {
            ParamType::String | ParamType::Integer | ParamType::Float | ParamType::Boolean => {
                if parts.next().is_some() {
                    return Err(bad_type(key));
                }
                out.insert(base.to_string(), scalar(param, key, text)?);
            }
            ParamType::Object => {
                let (field_name, value) = field_value(param, &mut parts, key, text)?;
                match out
                    .entry(base.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    Value::Object(map) => {
                        map.insert(field_name.to_string(), value);
                    }
                    _ => return Err(bad_type(key)),
                }
            }
            ParamType::ObjectArray => {
                let index = index_of(parts.next(), key)?;
                let (field_name, value) = field_value(param, &mut parts, key, text)?;
                let Value::Array(items) = out
                    .entry(base.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()))
                else {
                    return Err(bad_type(key));
                };
                if let Value::Object(map) = slot(items, index, Value::Object(Map::new())) {
                    map.insert(field_name.to_string(), value);
                }
            }
            _ => {
                // Arrays of scalars: `Name.N=value`.
                let index = index_of(parts.next(), key)?;
                if parts.next().is_some() {
                    return Err(bad_type(key));
                }
                let element = match param.ty {
                    ParamType::StringArray => Value::String(text.clone()),
                    _ => text
                        .parse::<i64>()
                        .map(|i| Value::Number(i.into()))
                        .map_err(|_| bad_type(key))?,
                };
                let Value::Array(items) = out
                    .entry(base.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()))
                else {
                    return Err(bad_type(key));
                };
                *slot(items, index, Value::Null) = element;
            }
        }
    }
    Ok(out)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn type_ok(param: &Param, value: &Value, name: &str) -> Result<(), Reject> {
    let ok = match (param.ty, value) {
        (ParamType::String, Value::String(_)) => true,
        (ParamType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (ParamType::Float, Value::Number(_)) => true,
        (ParamType::Boolean, Value::Bool(_)) => true,
        (ParamType::StringArray, Value::Array(items)) => items.iter().all(Value::is_string),
        (ParamType::Object, Value::Object(map)) => {
            check_object(&param.fields, map, name)?;
            true
        }
        (ParamType::ObjectArray, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Value::Object(map) = item else {
                    return Err(bad_type(&format!("{name}.{i}")));
                };
                check_object(&param.fields, map, &format!("{name}.{i}"))?;
            }
            true
        }
        (ParamType::String | ParamType::Integer | ParamType::Float | ParamType::Boolean, _)
        | (ParamType::StringArray | ParamType::Object | ParamType::ObjectArray, _) => false,
        // Any array type the catalog may add: an array of numbers.
        (_, Value::Array(items)) => items.iter().all(|v| v.is_i64() || v.is_u64()),
        _ => false,
    };
    if ok { Ok(()) } else { Err(bad_type(name)) }
}

fn check_object(params: &[Param], map: &Map<String, Value>, prefix: &str) -> Result<(), Reject> {
    for key in map.keys() {
        if !params.iter().any(|p| &p.name == key) {
            return Err(unknown(&format!("{prefix}.{key}")));
        }
    }
    for p in params {
        let name = format!("{prefix}.{}", p.name);
        match map.get(&p.name) {
            Some(v) if !v.is_null() => {
                if p.required && is_empty(v) {
                    return Err(Reject::with(PARAMETER_EMPTY, format!("`{name}` is empty")));
                }
                type_ok(p, v, &name)?;
            }
            _ if p.required => {
                return Err(Reject::with(
                    PARAMETER_EMPTY,
                    format!("`{name}` is missing"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks the parameter object's shape against the action's parameters:
/// first that every name is one of them, then each of them in the
/// catalog's order (empty, missing, of the wrong type).
pub(crate) fn check_shape(action: &Action, params: &Map<String, Value>) -> Result<(), Reject> {
    // Each parameter's value, found in one pass over what was sent (no
    // lookup per parameter of the action); a longer list than this holds
    // is looked up by name.
    const HELD: usize = 48;
    let mut sent: [Option<&Value>; HELD] = [None; HELD];
    let held = action.params.len() <= HELD;
    for (key, value) in params {
        let Some(i) = action.params.iter().position(|p| &p.name == key) else {
            return Err(unknown(key));
        };
        if held {
            sent[i] = Some(value);
        }
    }
    for (i, p) in action.params.iter().enumerate() {
        let value = if held { sent[i] } else { params.get(&p.name) };
        match value {
            Some(v) if !v.is_null() => {
                if p.required && is_empty(v) {
                    return Err(Reject::with(
                        PARAMETER_EMPTY,
                        format!("`{}` is empty", p.name),
                    ));
                }
                type_ok(p, v, &p.name)?;
            }
            _ if p.required => {
                return Err(Reject::with(
                    PARAMETER_EMPTY,
                    format!("`{}` is missing", p.name),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Typed reads of a checked parameter object.
pub(crate) struct Params<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> Params<'a> {
    pub(crate) fn str(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.0
            .get(name)
            .and_then(|v| v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX)))
    }

    pub(crate) fn float(&self, name: &str) -> Option<f64> {
        self.0.get(name).and_then(Value::as_f64)
    }

    pub(crate) fn strs(&self, name: &str) -> Option<Vec<&'a str>> {
        self.0
            .get(name)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
    }

    /// An object array's `(index, text)` pairs, e.g. PersonExDescriptionInfos.
    pub(crate) fn pairs(
        &self,
        name: &str,
        index: &str,
        text: &str,
    ) -> Result<Vec<(u64, &'a str)>, Reject> {
        let Some(items) = self.0.get(name).and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let idx = item
                    .get(index)
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad_type(&format!("{name}.{i}.{index}")))?;
                let t = item.get(text).and_then(Value::as_str).unwrap_or_default();
                Ok((idx, t))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Catalog;
    use serde_json::json;

    fn action(name: &str) -> &'static Action {
        Catalog::get()
            .action(name)
            .expect("the catalog has the action")
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unflattens_arrays_and_objects() {
        let got = unflatten(
            action("ModifyPersonGroupInfo"),
            &pairs(&[
                ("Action", "ModifyPersonGroupInfo"),
                ("GroupId", "g"),
                ("PersonId", "p"),
                ("PersonExDescriptionInfos.0.PersonExDescriptionIndex", "3"),
                ("PersonExDescriptionInfos.0.PersonExDescription", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"GroupId": "g", "PersonId": "p", "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 3, "PersonExDescription": "x"}]})
        );
    }

    #[test]
    fn classifies_shape_errors() {
        let a = action("DeletePerson");
        let check = |v: Value| match v {
            Value::Object(m) => check_shape(a, &m).map_err(|r| r.code.to_string()),
            _ => unreachable!(),
        };
        assert_eq!(check(json!({"PersonId": "p"})), Ok(()));
        assert_eq!(check(json!({})), Err(PARAMETER_EMPTY.into()));
        assert_eq!(check(json!({"PersonId": ""})), Err(PARAMETER_EMPTY.into()));
        assert_eq!(
            check(json!({"PersonId": 7})),
            Err("InvalidParameter".into())
        );
        assert_eq!(
            check(json!({"PersonId": "p", "Extra": 1})),
            Err("UnknownParameter".into())
        );
        let err = unflatten(a, &pairs(&[("PersonId.0", "x")])).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
    }
}
