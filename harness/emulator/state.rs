//! The library the emulator keeps: groups, persons and faces.
//!
//! A person is one account-wide entity (name, gender, up to 5 faces) with a
//! membership in 1 to 100 groups; each membership carries the person's
//! description values for that group. Every operation here is atomic: the
//! service holds the state's lock for the whole of one action, so a reader
//! never sees half of a DeletePerson.
//!
//! Sizes: lookups are hash maps and each group keeps its members in a
//! `BTreeSet`, so DeletePerson costs O(groups of the person × log members)
//! whatever the library's size, and pagination is in PersonId order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

/// Most groups per account (the CreateGroup document: 100,000 per APPID).
pub(crate) const MAX_GROUPS: usize = 100_000;
/// Most groups one person may belong to.
pub(crate) const MAX_GROUPS_PER_PERSON: usize = 100;
/// Most faces one person may have.
pub(crate) const MAX_FACES_PER_PERSON: usize = 5;
/// Most custom description fields per group.
pub(crate) const MAX_GROUP_DESCRIPTIONS: usize = 5;

/// A rejection: an `Error.Code` and, optionally, what exactly was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) code: std::borrow::Cow<'static, str>,
    pub(crate) detail: Option<String>,
    /// A message to answer verbatim (an injected fault's).
    pub(crate) message: Option<String>,
}

impl Reject {
    pub(crate) fn new(code: &'static str) -> Self {
        Self {
            code: code.into(),
            detail: None,
            message: None,
        }
    }

    pub(crate) fn with(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            detail: Some(detail.into()),
            message: None,
        }
    }
}

impl From<&'static str> for Reject {
    fn from(code: &'static str) -> Self {
        Self::new(code)
    }
}

pub(crate) type Outcome = Result<Map<String, Value>, Reject>;

#[derive(Debug)]
pub(crate) struct Group {
    name: Box<str>,
    tag: Box<str>,
    descriptions: Vec<Box<str>>,
    version: &'static str,
    created_ms: u64,
    /// The last ModifyGroup (the creation until then).
    updated_ms: u64,
    seq: u64,
    members: BTreeSet<Box<str>>,
    face_count: u64,
}

#[derive(Debug)]
struct Membership {
    group: Box<str>,
    descriptions: Vec<Box<str>>,
}

#[derive(Debug)]
pub(crate) struct Person {
    name: Box<str>,
    gender: u8,
    faces: Vec<u64>,
    groups: Vec<Membership>,
    version: &'static str,
    created_ms: u64,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    groups: HashMap<Box<str>, Group>,
    group_names: HashMap<Box<str>, Box<str>>,
    group_order: BTreeMap<u64, Box<str>>,
    persons: HashMap<Box<str>, Person>,
    next_seq: u64,
    next_face: u64,
}

/// The face box every emulated face reports.
fn face_rect() -> Value {
    json!({"X": 135, "Y": 42, "Width": 98, "Height": 136})
}

fn strings(items: &[Box<str>]) -> Value {
    Value::Array(items.iter().map(|s| Value::String(s.to_string())).collect())
}

fn face_ids(faces: &[u64]) -> Value {
    Value::Array(faces.iter().map(|f| Value::String(f.to_string())).collect())
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A normalized version string, `"2.0"` or `"3.0"`.
pub(crate) fn model_version(value: Option<&str>) -> Option<&'static str> {
    match value {
        None | Some("3.0") => Some("3.0"),
        Some("2.0") => Some("2.0"),
        Some(_) => None,
    }
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            // Face IDs look like Tencent's: 19-digit decimals.
            next_face: 2_875_186_538_564_559_728,
            ..Self::default()
        }
    }

    fn new_face(&mut self) -> u64 {
        self.next_face += 1;
        self.next_face
    }

    fn group(&self, id: &str) -> Result<&Group, Reject> {
        self.groups
            .get(id)
            .ok_or(Reject::new("InvalidParameterValue.GroupIdNotExist"))
    }

    fn person(&self, id: &str) -> Result<&Person, Reject> {
        self.persons
            .get(id)
            .ok_or(Reject::new("InvalidParameterValue.PersonIdNotExist"))
    }

    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let faces = self.persons.values().map(|p| p.faces.len()).sum();
        (self.groups.len(), self.persons.len(), faces)
    }

    pub(crate) fn create_group(
        &mut self,
        id: &str,
        name: &str,
        descriptions: &[&str],
        tag: &str,
        version: &'static str,
        now_ms: u64,
    ) -> Outcome {
        if self.groups.contains_key(id) {
            return Err("InvalidParameterValue.GroupIdAlreadyExist".into());
        }
        if self.group_names.contains_key(name) {
            return Err("InvalidParameterValue.GroupNameAlreadyExist".into());
        }
        if self.groups.len() >= MAX_GROUPS {
            return Err("InvalidParameterValue.GroupNumExceed".into());
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        self.groups.insert(
            id.into(),
            Group {
                name: name.into(),
                tag: tag.into(),
                descriptions: descriptions.iter().map(|d| (*d).into()).collect(),
                version,
                created_ms: now_ms,
                updated_ms: now_ms,
                seq,
                members: BTreeSet::new(),
                face_count: 0,
            },
        );
        self.group_names.insert(name.into(), id.into());
        self.group_order.insert(seq, id.into());
        Ok(fields(json!({ "FaceModelVersion": version })))
    }

    pub(crate) fn delete_group(&mut self, id: &str) -> Outcome {
        let Some(group) = self.groups.remove(id) else {
            return Err("InvalidParameterValue.GroupIdNotExist".into());
        };
        self.group_names.remove(&*group.name);
        self.group_order.remove(&group.seq);
        for member in &group.members {
            let orphan = match self.persons.get_mut(&**member) {
                Some(person) => {
                    person.groups.retain(|m| &*m.group != id);
                    person.groups.is_empty()
                }
                None => false,
            };
            if orphan {
                self.persons.remove(&**member);
            }
        }
        Ok(Map::new())
    }

    fn group_info(id: &str, g: &Group) -> Value {
        json!({
            "GroupName": &*g.name,
            "GroupId": id,
            "GroupExDescriptions": strings(&g.descriptions),
            "Tag": &*g.tag,
            "FaceModelVersion": g.version,
            "CreationTimestamp": g.created_ms,
        })
    }

    pub(crate) fn group_list(&self, offset: usize, limit: usize) -> Outcome {
        let infos: Vec<Value> = self
            .group_order
            .values()
            .skip(offset)
            .take(limit)
            .filter_map(|id| {
                let g = self.groups.get(id)?;
                // GetGroupList's GroupInfo has UpdateTimestamp; GetGroupInfo has not.
                let mut info = Self::group_info(id, g);
                info["UpdateTimestamp"] = json!(g.updated_ms);
                Some(info)
            })
            .collect();
        Ok(fields(
            json!({ "GroupInfos": infos, "GroupNum": self.groups.len() }),
        ))
    }

    pub(crate) fn group_info_of(&self, id: &str) -> Outcome {
        let g = self.group(id)?;
        Ok(fields(Self::group_info(id, g)))
    }

    /// ModifyGroup. `descriptions` are (index, new name) pairs.
    pub(crate) fn modify_group(
        &mut self,
        id: &str,
        name: Option<&str>,
        descriptions: &[(u64, &str)],
        tag: Option<&str>,
        now_ms: u64,
    ) -> Outcome {
        let g = self.group(id)?;
        if let Some(name) = name
            && self
                .group_names
                .get(name)
                .is_some_and(|owner| &**owner != id)
        {
            return Err("InvalidParameterValue.GroupNameAlreadyExist".into());
        }
        let mut new_descriptions = g.descriptions.clone();
        for &(index, text) in descriptions {
            let index = usize::try_from(index).unwrap_or(usize::MAX);
            if index >= MAX_GROUP_DESCRIPTIONS {
                return Err("InvalidParameterValue.GroupExDescriptionsExceed".into());
            }
            if index > new_descriptions.len() {
                return Err(Reject::with(
                    "InvalidParameter.InvalidParameter",
                    "GroupExDescriptionIndex leaves a gap after the group's last description field",
                ));
            }
            if new_descriptions
                .iter()
                .enumerate()
                .any(|(i, d)| i != index && &**d == text)
            {
                return Err("FailedOperation.DuplicatedGroupDescription".into());
            }
            if index == new_descriptions.len() {
                new_descriptions.push(text.into());
            } else {
                new_descriptions[index] = text.into();
            }
        }
        let grown = new_descriptions.len();
        let Some(g) = self.groups.get_mut(id) else {
            return Err("InvalidParameterValue.GroupIdNotExist".into());
        };
        g.descriptions = new_descriptions;
        g.updated_ms = now_ms;
        if let Some(tag) = tag {
            g.tag = tag.into();
        }
        if let Some(name) = name {
            let old = std::mem::replace(&mut g.name, name.into());
            self.group_names.remove(&*old);
            self.group_names.insert(name.into(), id.into());
        }
        // Members gain empty values for new description fields.
        if let Some(g) = self.groups.get(id) {
            for member in &g.members {
                if let Some(p) = self.persons.get_mut(&**member)
                    && let Some(m) = p.groups.iter_mut().find(|m| &*m.group == id)
                {
                    m.descriptions.resize(grown, "".into());
                }
            }
        }
        Ok(Map::new())
    }

    /// Checks description indexes against a group and builds the values.
    fn descriptions_for(group: &Group, infos: &[(u64, &str)]) -> Result<Vec<Box<str>>, Reject> {
        let mut values: Vec<Box<str>> = vec!["".into(); group.descriptions.len()];
        for &(index, text) in infos {
            let slot = usize::try_from(index)
                .ok()
                .and_then(|i| values.get_mut(i))
                .ok_or_else(|| {
                    Reject::with(
                        "InvalidParameterValue.PersonExDescriptionInfosExceed",
                        format!(
                            "PersonExDescriptionIndex {index} is beyond the group's {} description fields",
                            group.descriptions.len()
                        ),
                    )
                })?;
            *slot = text.into();
        }
        Ok(values)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_person(
        &mut self,
        group_id: &str,
        id: &str,
        name: &str,
        gender: u8,
        descriptions: &[(u64, &str)],
        now_ms: u64,
    ) -> Outcome {
        let group = self.group(group_id)?;
        if self.persons.contains_key(id) {
            return Err("InvalidParameterValue.PersonIdAlreadyExist".into());
        }
        let values = Self::descriptions_for(group, descriptions)?;
        let version = group.version;
        let face = self.new_face();
        self.persons.insert(
            id.into(),
            Person {
                name: name.into(),
                gender,
                faces: vec![face],
                groups: vec![Membership {
                    group: group_id.into(),
                    descriptions: values,
                }],
                version,
                created_ms: now_ms,
            },
        );
        if let Some(g) = self.groups.get_mut(group_id) {
            g.members.insert(id.into());
            g.face_count += 1;
        }
        Ok(fields(json!({
            "FaceId": face.to_string(),
            "FaceRect": face_rect(),
            "SimilarPersonId": "",
            "FaceModelVersion": version,
        })))
    }

    fn remove_person(&mut self, id: &str) -> Option<Person> {
        let person = self.persons.remove(id)?;
        let faces = person.faces.len() as u64;
        for m in &person.groups {
            if let Some(g) = self.groups.get_mut(&*m.group) {
                g.members.remove(id);
                g.face_count = g.face_count.saturating_sub(faces);
            }
        }
        Some(person)
    }

    pub(crate) fn delete_person(&mut self, id: &str) -> Outcome {
        match self.remove_person(id) {
            Some(_) => Ok(Map::new()),
            None => Err("InvalidParameterValue.PersonIdNotExist".into()),
        }
    }

    pub(crate) fn delete_person_from_group(&mut self, id: &str, group_id: &str) -> Outcome {
        self.group(group_id)?;
        let person = self.person(id)?;
        if !person.groups.iter().any(|m| &*m.group == group_id) {
            return Err("FailedOperation.GroupPersonMapNotExist".into());
        }
        if person.groups.len() == 1 {
            self.remove_person(id);
            return Ok(Map::new());
        }
        let faces = person.faces.len() as u64;
        if let Some(p) = self.persons.get_mut(id) {
            p.groups.retain(|m| &*m.group != group_id);
        }
        if let Some(g) = self.groups.get_mut(group_id) {
            g.members.remove(id);
            g.face_count = g.face_count.saturating_sub(faces);
        }
        Ok(Map::new())
    }

    pub(crate) fn person_list(&self, group_id: &str, offset: usize, limit: usize) -> Outcome {
        let g = self.group(group_id)?;
        let infos: Vec<Value> = g
            .members
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|id| {
                let p = self.persons.get(id)?;
                let descriptions = p
                    .groups
                    .iter()
                    .find(|m| &*m.group == group_id)
                    .map(|m| strings(&m.descriptions))
                    .unwrap_or_else(|| Value::Array(Vec::new()));
                Some(json!({
                    "PersonName": &*p.name,
                    "PersonId": &**id,
                    "Gender": p.gender,
                    "PersonExDescriptions": descriptions,
                    "FaceIds": face_ids(&p.faces),
                    "CreationTimestamp": p.created_ms,
                }))
            })
            .collect();
        Ok(fields(json!({
            "PersonInfos": infos,
            "PersonNum": g.members.len(),
            "FaceNum": g.face_count,
            "FaceModelVersion": g.version,
        })))
    }

    pub(crate) fn person_list_num(&self, group_id: &str) -> Outcome {
        let g = self.group(group_id)?;
        Ok(fields(
            json!({ "PersonNum": g.members.len(), "FaceNum": g.face_count }),
        ))
    }

    pub(crate) fn person_base_info(&self, id: &str) -> Outcome {
        let p = self.person(id)?;
        Ok(fields(json!({
            "PersonName": &*p.name,
            "Gender": p.gender,
            "FaceIds": face_ids(&p.faces),
        })))
    }

    pub(crate) fn person_group_info(&self, id: &str, offset: usize, limit: usize) -> Outcome {
        let p = self.person(id)?;
        let infos: Vec<Value> = p
            .groups
            .iter()
            .skip(offset)
            .take(limit)
            .map(|m| {
                json!({
                    "GroupId": &*m.group,
                    "PersonExDescriptions": strings(&m.descriptions),
                })
            })
            .collect();
        Ok(fields(json!({
            "PersonGroupInfos": infos,
            "GroupNum": p.groups.len(),
            "FaceModelVersion": p.version,
        })))
    }

    pub(crate) fn modify_person_base_info(
        &mut self,
        id: &str,
        name: Option<&str>,
        gender: Option<u8>,
    ) -> Outcome {
        let Some(p) = self.persons.get_mut(id) else {
            return Err("InvalidParameterValue.PersonIdNotExist".into());
        };
        if let Some(name) = name {
            p.name = name.into();
        }
        if let Some(gender) = gender {
            p.gender = gender;
        }
        Ok(Map::new())
    }

    pub(crate) fn modify_person_group_info(
        &mut self,
        group_id: &str,
        id: &str,
        descriptions: &[(u64, &str)],
    ) -> Outcome {
        let group = self.group(group_id)?;
        let person = self.person(id)?;
        let Some(current) = person.groups.iter().find(|m| &*m.group == group_id) else {
            return Err("FailedOperation.GroupPersonMapNotExist".into());
        };
        // Validate every index first, then apply: all or nothing.
        Self::descriptions_for(group, descriptions)?;
        let mut values = current.descriptions.clone();
        values.resize(group.descriptions.len(), "".into());
        for &(index, text) in descriptions {
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| values.get_mut(i)) {
                *slot = text.into();
            }
        }
        if let Some(m) = self
            .persons
            .get_mut(id)
            .and_then(|p| p.groups.iter_mut().find(|m| &*m.group == group_id))
        {
            m.descriptions = values;
        }
        Ok(Map::new())
    }

    pub(crate) fn copy_person(&mut self, id: &str, group_ids: &[&str]) -> Outcome {
        let person = self.person(id)?;
        let mut added: Vec<&str> = Vec::new();
        for gid in group_ids {
            let g = self.group(gid)?;
            if person.groups.iter().any(|m| &*m.group == *gid) || added.contains(gid) {
                return Err("FailedOperation.GroupPersonMapExist".into());
            }
            if g.version != person.version {
                return Err("FailedOperation.AcrossVersionsError".into());
            }
            added.push(gid);
        }
        if person.groups.len() + added.len() > MAX_GROUPS_PER_PERSON {
            return Err("InvalidParameterValue.GroupNumPerPersonExceed".into());
        }
        let faces = person.faces.len() as u64;
        for gid in &added {
            if let Some(g) = self.groups.get_mut(*gid) {
                g.members.insert(id.into());
                g.face_count += faces;
            }
        }
        if let Some(p) = self.persons.get_mut(id) {
            for gid in &added {
                let n = self.groups.get(*gid).map_or(0, |g| g.descriptions.len());
                p.groups.push(Membership {
                    group: (*gid).into(),
                    descriptions: vec!["".into(); n],
                });
            }
        }
        let mut ids: Vec<&str> = added.clone();
        ids.sort_unstable();
        Ok(fields(
            json!({ "SucGroupNum": ids.len(), "SucGroupIds": ids }),
        ))
    }

    /// CreateFace: `decoded[i]` says whether image `i` is a face.
    pub(crate) fn create_face(&mut self, id: &str, decoded: &[bool]) -> Outcome {
        let person = self.person(id)?;
        let good = decoded.iter().filter(|d| **d).count();
        if person.faces.len() + good > MAX_FACES_PER_PERSON {
            return Err("InvalidParameterValue.PersonFaceNumExceed".into());
        }
        if good == 0 {
            return Err("FailedOperation.ImageDecodeFailed".into());
        }
        let version = person.version;
        let mut ids = Vec::new();
        let mut ret = Vec::new();
        let mut indexes = Vec::new();
        let mut rects = Vec::new();
        let mut new_faces = Vec::new();
        for (i, ok) in decoded.iter().enumerate() {
            if *ok {
                let face = self.new_face();
                new_faces.push(face);
                ids.push(Value::String(face.to_string()));
                ret.push(0);
                indexes.push(i);
                rects.push(face_rect());
            } else {
                ret.push(-1102);
            }
        }
        let mut groups = Vec::new();
        if let Some(p) = self.persons.get_mut(id) {
            p.faces.extend(&new_faces);
            groups = p.groups.iter().map(|m| m.group.clone()).collect();
        }
        for gid in groups {
            if let Some(g) = self.groups.get_mut(&gid) {
                g.face_count += new_faces.len() as u64;
            }
        }
        Ok(fields(json!({
            "SucFaceNum": new_faces.len(),
            "SucFaceIds": ids,
            "RetCode": ret,
            "SucIndexes": indexes,
            "SucFaceRects": rects,
            "FaceModelVersion": version,
        })))
    }

    pub(crate) fn delete_face(&mut self, id: &str, face_ids_in: &[&str]) -> Outcome {
        let person = self.person(id)?;
        let doomed: Vec<u64> = person
            .faces
            .iter()
            .copied()
            .filter(|f| {
                face_ids_in
                    .iter()
                    .any(|x| x.parse::<u64>().ok() == Some(*f))
            })
            .collect();
        if !doomed.is_empty() && doomed.len() >= person.faces.len() {
            return Err("InvalidParameterValue.DeleteFaceNumExceed".into());
        }
        let mut groups = Vec::new();
        if let Some(p) = self.persons.get_mut(id) {
            p.faces.retain(|f| !doomed.contains(f));
            groups = p.groups.iter().map(|m| m.group.clone()).collect();
        }
        for gid in groups {
            if let Some(g) = self.groups.get_mut(&gid) {
                g.face_count = g.face_count.saturating_sub(doomed.len() as u64);
            }
        }
        Ok(fields(json!({
            "SucDeletedNum": doomed.len(),
            "SucFaceIds": face_ids(&doomed),
        })))
    }

    /// Adds `count` persons named `{prefix}{n}` to a group (created if
    /// needed), one face each: the benchmark's fast path to a big library.
    pub(crate) fn seed(&mut self, group_id: &str, prefix: &str, count: u64, now_ms: u64) -> u64 {
        if !self.groups.contains_key(group_id) {
            let name = format!("seed-{}", self.next_seq + 1);
            if self
                .create_group(group_id, &name, &[], "", "3.0", now_ms)
                .is_err()
            {
                return 0;
            }
        }
        let mut added = 0;
        for n in 0..count {
            let id = format!("{prefix}{n}");
            if self
                .create_person(group_id, &id, "seed", 0, &[], now_ms)
                .is_ok()
            {
                added += 1;
            }
        }
        added
    }

    /// A view for tests: every group with its members, every person with
    /// its groups. `limit` caps the persons listed (counts stay exact).
    pub(crate) fn snapshot(&self, limit: usize) -> Value {
        let mut groups: Vec<(&u64, &Box<str>)> = self.group_order.iter().collect();
        groups.sort_by_key(|(seq, _)| **seq);
        let groups: Vec<Value> = groups
            .into_iter()
            .filter_map(|(_, id)| {
                let g = self.groups.get(id)?;
                Some(json!({
                    "GroupId": &**id,
                    "GroupName": &*g.name,
                    "PersonNum": g.members.len(),
                    "FaceNum": g.face_count,
                    "PersonIds": g.members.iter().take(limit).map(|m| &**m).collect::<Vec<_>>(),
                }))
            })
            .collect();
        let mut ids: Vec<&Box<str>> = self.persons.keys().collect();
        ids.sort();
        let persons: Vec<Value> = ids
            .into_iter()
            .take(limit)
            .filter_map(|id| {
                let p = self.persons.get(id)?;
                Some(json!({
                    "PersonId": &**id,
                    "PersonName": &*p.name,
                    "Gender": p.gender,
                    "FaceIds": face_ids(&p.faces),
                    "GroupIds": p.groups.iter().map(|m| &*m.group).collect::<Vec<_>>(),
                }))
            })
            .collect();
        let (g, p, f) = self.counts();
        json!({
            "group_count": g,
            "person_count": p,
            "face_count": f,
            "groups": groups,
            "persons": persons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> State {
        let mut s = State::new();
        s.create_group("g1", "G1", &["a", "b"], "", "3.0", 1)
            .unwrap();
        s.create_group("g2", "G2", &[], "", "3.0", 1).unwrap();
        s
    }

    fn num(s: &State, g: &str) -> (u64, u64) {
        let m = s.person_list_num(g).unwrap();
        (
            m["PersonNum"].as_u64().unwrap(),
            m["FaceNum"].as_u64().unwrap(),
        )
    }

    #[test]
    fn delete_person_leaves_every_group_at_once() {
        let mut s = library();
        s.create_person("g1", "p1", "P", 1, &[(0, "x")], 1).unwrap();
        s.copy_person("p1", &["g2"]).unwrap();
        s.create_face("p1", &[true, false]).unwrap();
        assert_eq!((num(&s, "g1"), num(&s, "g2")), ((1, 2), (1, 2)));
        s.delete_person("p1").unwrap();
        assert_eq!((num(&s, "g1"), num(&s, "g2")), ((0, 0), (0, 0)));
        assert_eq!(
            s.delete_person("p1").unwrap_err().code,
            "InvalidParameterValue.PersonIdNotExist"
        );
        s.create_person("g2", "p1", "P", 0, &[], 2).unwrap();
        assert_eq!(s.counts(), (2, 1, 1));
    }

    #[test]
    fn removing_the_last_group_deletes_the_person() {
        let mut s = library();
        s.create_person("g1", "p1", "P", 0, &[], 1).unwrap();
        s.copy_person("p1", &["g2"]).unwrap();
        s.delete_person_from_group("p1", "g1").unwrap();
        assert!(s.person_base_info("p1").is_ok());
        assert_eq!(
            s.delete_person_from_group("p1", "g1").unwrap_err().code,
            "FailedOperation.GroupPersonMapNotExist"
        );
        s.delete_group("g2").unwrap();
        assert!(s.person_base_info("p1").is_err());
        assert_eq!(s.counts(), (1, 0, 0));
    }

    #[test]
    fn faces_are_capped_at_five_and_never_all_deleted() {
        let mut s = library();
        s.create_person("g1", "p1", "P", 0, &[], 1).unwrap();
        s.create_face("p1", &[true; 4]).unwrap();
        assert_eq!(
            s.create_face("p1", &[true]).unwrap_err().code,
            "InvalidParameterValue.PersonFaceNumExceed"
        );
        let info = s.person_base_info("p1").unwrap();
        let ids: Vec<&str> = info["FaceIds"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            s.delete_face("p1", &ids).unwrap_err().code,
            "InvalidParameterValue.DeleteFaceNumExceed"
        );
        assert_eq!(s.delete_face("p1", &ids[1..]).unwrap()["SucDeletedNum"], 4);
        assert_eq!(num(&s, "g1"), (1, 1));
    }

    #[test]
    fn group_names_stay_unique() {
        let mut s = library();
        assert_eq!(
            s.create_group("g3", "G1", &[], "", "3.0", 1)
                .unwrap_err()
                .code,
            "InvalidParameterValue.GroupNameAlreadyExist"
        );
        s.modify_group("g2", Some("G3"), &[(0, "c")], None, 2)
            .unwrap();
        s.create_group("g3", "G2", &[], "", "3.0", 1).unwrap();
        assert_eq!(
            s.modify_group("g1", None, &[(1, "a")], None, 2)
                .unwrap_err()
                .code,
            "FailedOperation.DuplicatedGroupDescription"
        );
    }
}
