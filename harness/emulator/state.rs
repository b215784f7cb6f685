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

use super::faces::Rect;

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

/// The face box of a seeded person (who has no image).
const SEED_RECT: Rect = Rect {
    x: 135,
    y: 42,
    width: 98,
    height: 136,
};

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
    /// The identity of each face, beside `faces`.
    identities: Vec<u64>,
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
    /// Every stored face by its identity: (FaceId, PersonId), in the order
    /// the faces were made, which is FaceId order (FaceIds only grow).
    /// Search looks a face up here instead of scanning the library; a
    /// delete finds its face by binary search, however many share the
    /// identity (a `Vec`: most identities have one face, and a map per
    /// identity would cost a million seeded persons about 190 MB more).
    by_identity: HashMap<u64, Vec<(u64, Box<str>)>>,
    /// Group face-model upgrade jobs, in creation order.
    pub(crate) jobs: super::jobs::Jobs,
}

/// A face as an image showed it: who, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewFace {
    pub(crate) identity: u64,
    pub(crate) rect: Rect,
}

/// One search hit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hit {
    pub(crate) person: Box<str>,
    /// The matching face (the person's best face).
    pub(crate) face: u64,
    pub(crate) score: f64,
}

/// A face box on the wire.
pub(crate) fn face_rect(r: Rect) -> Value {
    // Built in place: `json!` would serialize each value again.
    object([
        ("X", r.x.into()),
        ("Y", r.y.into()),
        ("Width", r.width.into()),
        ("Height", r.height.into()),
    ])
}

/// An object of these fields, in this order, moved in as they are.
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(fields_of(entries))
}

fn fields_of<const N: usize>(entries: [(&str, Value); N]) -> Map<String, Value> {
    let mut map = Map::with_capacity(N);
    for (name, value) in entries {
        map.insert(name.to_string(), value);
    }
    map
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

    fn index_add(&mut self, person: &str, face: u64, identity: u64) {
        let list = self.by_identity.entry(identity).or_default();
        debug_assert!(
            list.last().is_none_or(|(f, _)| *f < face),
            "FaceIds only grow"
        );
        list.push((face, person.into()));
    }

    fn index_remove(&mut self, face: u64, identity: u64) {
        if let Some(list) = self.by_identity.get_mut(&identity) {
            if let Ok(at) = list.binary_search_by_key(&face, |(f, _)| *f) {
                list.remove(at);
            }
            if list.is_empty() {
                self.by_identity.remove(&identity);
            }
        }
    }

    fn unindex(&mut self, p: &Person) {
        for (f, i) in p.faces.iter().zip(&p.identities) {
            self.index_remove(*f, *i);
        }
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
            if orphan && let Some(p) = self.persons.remove(&**member) {
                self.unindex(&p);
            }
        }
        Ok(Map::new())
    }

    /// The PersonIds of a group's members (none for an unknown group).
    pub(crate) fn members_of(&self, id: &str) -> Vec<String> {
        self.groups
            .get(id)
            .map(|g| g.members.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default()
    }

    /// A deliberate deviation only ([`super::quirks::Quirk::DeleteGroupTakesMembers`]):
    /// these persons go, whatever groups still hold them.
    pub(crate) fn forget_persons(&mut self, ids: &[String]) {
        for id in ids {
            self.remove_person(id);
        }
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
        seen: NewFace,
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
                identities: vec![seen.identity],
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
        self.index_add(id, face, seen.identity);
        Ok(fields_of([
            ("FaceId", face.to_string().into()),
            ("FaceRect", face_rect(seen.rect)),
            ("SimilarPersonId", "".into()),
            ("FaceModelVersion", version.into()),
        ]))
    }

    fn remove_person(&mut self, id: &str) -> Option<Person> {
        let person = self.persons.remove(id)?;
        self.unindex(&person);
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
        Ok(fields_of([
            ("PersonName", (*p.name).into()),
            ("Gender", p.gender.into()),
            ("FaceIds", face_ids(&p.faces)),
        ]))
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

    /// CreateFace: `decoded[i]` is image `i`'s face, if it shows one.
    pub(crate) fn create_face(&mut self, id: &str, decoded: &[Option<NewFace>]) -> Outcome {
        let person = self.person(id)?;
        let good = decoded.iter().filter(|d| d.is_some()).count();
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
        let mut new_identities = Vec::new();
        for (i, seen) in decoded.iter().enumerate() {
            if let Some(seen) = seen {
                let face = self.new_face();
                new_faces.push(face);
                new_identities.push(seen.identity);
                ids.push(Value::String(face.to_string()));
                ret.push(0);
                indexes.push(i);
                rects.push(face_rect(seen.rect));
            } else {
                ret.push(-1102);
            }
        }
        let mut groups = Vec::new();
        if let Some(p) = self.persons.get_mut(id) {
            p.faces.extend(&new_faces);
            p.identities.extend(&new_identities);
            groups = p.groups.iter().map(|m| m.group.clone()).collect();
        }
        for (f, i) in new_faces.iter().zip(&new_identities) {
            self.index_add(id, *f, *i);
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
        let mut gone = Vec::new();
        if let Some(p) = self.persons.get_mut(id) {
            let (mut faces, mut identities) = (Vec::new(), Vec::new());
            for (f, i) in p.faces.iter().zip(&p.identities) {
                if doomed.contains(f) {
                    gone.push((*f, *i));
                } else {
                    faces.push(*f);
                    identities.push(*i);
                }
            }
            p.faces = faces;
            p.identities = identities;
            groups = p.groups.iter().map(|m| m.group.clone()).collect();
        }
        for (f, i) in gone {
            self.index_remove(f, i);
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
                .create_person(
                    group_id,
                    &id,
                    "seed",
                    0,
                    &[],
                    NewFace {
                        identity: super::faces::identity_of_name(&id),
                        rect: SEED_RECT,
                    },
                    now_ms,
                )
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

/// How many strangers per group a search scores besides the matches,
/// beyond the number of candidates asked for: search cost is bounded by
/// the answer's size, not the library's.
const STRANGER_SCAN: usize = 16;

impl State {
    /// The groups of a search: each must exist, all of one model version
    /// (`FailedOperation.AcrossVersionsError`) and holding a face in all
    /// (`InvalidParameterValue.NoFaceInGroups`). Their version, person and
    /// face totals.
    pub(crate) fn search_groups(&self, ids: &[&str]) -> Result<(&'static str, u64, u64), Reject> {
        let mut version = None;
        let (mut persons, mut faces) = (0u64, 0u64);
        for id in ids {
            let g = self.group(id)?;
            if version.is_some_and(|v| v != g.version) {
                return Err("FailedOperation.AcrossVersionsError".into());
            }
            version = Some(g.version);
            persons += g.members.len() as u64;
            faces += g.face_count;
        }
        if faces == 0 {
            return Err("InvalidParameterValue.NoFaceInGroups".into());
        }
        Ok((version.unwrap_or("3.0"), persons, faces))
    }

    /// The best face of a person against `identity`: (FaceId, score).
    fn best_face(p: &Person, identity: u64) -> (u64, f64) {
        p.faces
            .iter()
            .zip(&p.identities)
            .map(|(f, i)| (*f, super::faces::score(identity, *i)))
            .fold((0, -1.0), |best, x| if x.1 > best.1 { x } else { best })
    }

    /// The `limit` best candidates in `groups` for a face of `identity`
    /// scoring at least `threshold`, best first (ties in PersonId order).
    /// `per_face`: every face is a candidate (SearchFaces); otherwise each
    /// person once, with its best face (SearchPersons).
    ///
    /// Matches come from the identity index; strangers are the first
    /// members of each group in PersonId order (at most `limit` +
    /// [`STRANGER_SCAN`] per group), since none of them can outrank a match.
    pub(crate) fn search(
        &self,
        groups: &[&str],
        identity: u64,
        limit: usize,
        threshold: f64,
        per_face: bool,
    ) -> Vec<Hit> {
        let in_groups = |p: &Person| p.groups.iter().any(|m| groups.contains(&&*m.group));
        let mut hits: Vec<Hit> = Vec::new();
        let seen = |hits: &[Hit], person: &str, face: u64| {
            hits.iter()
                .any(|h| &*h.person == person && (!per_face || h.face == face))
        };
        if let Some(list) = self.by_identity.get(&identity) {
            for (face, person) in list {
                if self.persons.get(person).is_some_and(in_groups) && !seen(&hits, person, *face) {
                    hits.push(Hit {
                        person: person.clone(),
                        face: *face,
                        score: 100.0,
                    });
                }
            }
        }
        if hits.len() < limit {
            for gid in groups {
                let Some(g) = self.groups.get(*gid) else {
                    continue;
                };
                for member in g.members.iter().take(limit + STRANGER_SCAN) {
                    let Some(p) = self.persons.get(member) else {
                        continue;
                    };
                    if per_face {
                        for (f, i) in p.faces.iter().zip(&p.identities) {
                            if *i != identity && !seen(&hits, member, *f) {
                                hits.push(Hit {
                                    person: member.clone(),
                                    face: *f,
                                    score: super::faces::score(identity, *i),
                                });
                            }
                        }
                    } else if !seen(&hits, member, 0) {
                        let (face, score) = Self::best_face(p, identity);
                        hits.push(Hit {
                            person: member.clone(),
                            face,
                            score,
                        });
                    }
                }
            }
        }
        hits.retain(|h| h.score >= threshold);
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.person.cmp(&b.person))
                .then(a.face.cmp(&b.face))
        });
        hits.truncate(limit);
        hits
    }

    /// A candidate on the wire. With `info`, the person's name, gender and
    /// groups (NeedPersonInfo = 1); null otherwise.
    pub(crate) fn candidate(&self, hit: &Hit, per_face: bool, info: bool) -> Value {
        let p = self.persons.get(&hit.person).filter(|_| info);
        // SearchPersons' FaceId is meaningless (fused features): empty.
        let face = if per_face {
            hit.face.to_string()
        } else {
            String::new()
        };
        json!({
            "PersonId": &*hit.person,
            "FaceId": face,
            "Score": hit.score,
            "PersonName": p.map(|p| &*p.name),
            "Gender": p.map(|p| p.gender),
            "PersonGroupInfos": p.map(|p| p.groups.iter().map(|m| json!({
                "GroupId": &*m.group,
                "PersonExDescriptions": strings(&m.descriptions),
            })).collect::<Vec<_>>()),
        })
    }

    /// VerifyFace / VerifyPerson: the person's best score against
    /// `identity`, and its model version.
    pub(crate) fn verify(&self, id: &str, identity: u64) -> Result<(f64, &'static str), Reject> {
        let p = self.person(id)?;
        Ok((Self::best_face(p, identity).1.max(0.0), p.version))
    }

    /// Applies every upgrade job whose time is up.
    pub(crate) fn settle(&mut self, now_ms: u64) {
        if self.jobs.pending == 0 {
            return;
        }
        for (group, to) in self.jobs.finish_due(now_ms) {
            self.set_version(&group, to);
        }
    }

    fn set_version(&mut self, group: &str, version: &'static str) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        g.version = version;
        for member in &g.members {
            if let Some(p) = self.persons.get_mut(&**member) {
                p.version = version;
            }
        }
    }

    /// UpgradeGroupFaceModelVersion: only upward (2.0 to 3.0), one job at a time per group.
    pub(crate) fn upgrade_group(&mut self, group: &str, to: &'static str, now_ms: u64) -> Outcome {
        let g = self.group(group)?;
        let from = g.version;
        if to <= from || self.jobs.upgrading(group) {
            return Err(Reject::with(
                "FailedOperation.GroupCannotUpgrade",
                format!(
                    "the group is at {from}; an upgrade goes to a newer version, one job at a time"
                ),
            ));
        }
        let id = self.jobs.start(group, from, to, now_ms);
        Ok(fields(json!({ "JobId": id })))
    }

    pub(crate) fn upgrade_jobs(&self, offset: usize, limit: usize) -> Outcome {
        let infos: Vec<Value> = self
            .jobs
            .list
            .iter()
            .skip(offset)
            .take(limit)
            .map(super::jobs::Jobs::info)
            .collect();
        Ok(fields(
            json!({ "JobInfos": infos, "JobNum": self.jobs.list.len() }),
        ))
    }

    pub(crate) fn upgrade_result(&self, job: &str, now_ms: u64) -> Outcome {
        let j = self
            .jobs
            .get(job)
            .ok_or(Reject::new("FailedOperation.UpgradeJobIdNotExist"))?;
        Ok(fields(super::jobs::Jobs::result(j, now_ms)))
    }

    /// RevertGroupFaceModelVersion: a finished job, once per group.
    pub(crate) fn revert_group(&mut self, job: &str) -> Outcome {
        let j = self
            .jobs
            .get(job)
            .ok_or(Reject::new("FailedOperation.UpgradeJobIdNotExist"))?;
        let (group, from, status) = (j.group.clone(), j.from, j.status);
        if !self.groups.contains_key(&group) {
            return Err("InvalidParameterValue.GroupIdNotExist".into());
        }
        if status != super::jobs::DONE || self.jobs.reverted(&group) {
            return Err(Reject::with(
                "FailedOperation.JobCannnotRollback",
                "only a finished upgrade can be reverted, once per group",
            ));
        }
        if let Some(j) = self.jobs.get_mut(job) {
            j.status = super::jobs::REVERTED;
        }
        self.set_version(&group, from);
        Ok(Map::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(identity: u64) -> NewFace {
        NewFace {
            identity,
            rect: SEED_RECT,
        }
    }

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
        s.create_person("g1", "p1", "P", 1, &[(0, "x")], seen(1), 1)
            .unwrap();
        s.copy_person("p1", &["g2"]).unwrap();
        s.create_face("p1", &[Some(seen(2)), None]).unwrap();
        assert_eq!((num(&s, "g1"), num(&s, "g2")), ((1, 2), (1, 2)));
        s.delete_person("p1").unwrap();
        assert_eq!((num(&s, "g1"), num(&s, "g2")), ((0, 0), (0, 0)));
        assert_eq!(
            s.delete_person("p1").unwrap_err().code,
            "InvalidParameterValue.PersonIdNotExist"
        );
        s.create_person("g2", "p1", "P", 0, &[], seen(1), 2)
            .unwrap();
        assert_eq!(s.counts(), (2, 1, 1));
    }

    #[test]
    fn removing_the_last_group_deletes_the_person() {
        let mut s = library();
        s.create_person("g1", "p1", "P", 0, &[], seen(1), 1)
            .unwrap();
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
        s.create_person("g1", "p1", "P", 0, &[], seen(1), 1)
            .unwrap();
        s.create_face("p1", &[Some(seen(3)); 4]).unwrap();
        assert_eq!(
            s.create_face("p1", &[Some(seen(4))]).unwrap_err().code,
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

    #[test]
    fn search_finds_by_identity_and_forgets_the_deleted() {
        let mut s = library();
        s.create_person("g1", "p1", "P", 0, &[], seen(7), 1)
            .unwrap();
        s.create_person("g1", "p2", "Q", 0, &[], seen(8), 1)
            .unwrap();
        s.create_person("g2", "p3", "R", 0, &[], seen(7), 1)
            .unwrap();
        let hits = s.search(&["g1"], 7, 5, 0.0, false);
        assert_eq!((&*hits[0].person, hits[0].score), ("p1", 100.0));
        assert_eq!(hits.len(), 2);
        assert!(hits[1].score < 30.0);
        // Only the groups searched; the threshold drops strangers.
        assert_eq!(s.search(&["g1", "g2"], 7, 5, 50.0, false).len(), 2);
        s.create_face("p2", &[Some(seen(7))]).unwrap();
        let faces = s.search(&["g1"], 7, 5, 50.0, true);
        assert_eq!(faces.len(), 2);
        s.delete_person("p1").unwrap();
        s.delete_face(
            "p2",
            &[&faces
                .iter()
                .find(|h| &*h.person == "p2")
                .unwrap()
                .face
                .to_string()],
        )
        .unwrap();
        assert!(
            s.search(&["g1", "g2"], 7, 5, 50.0, false)
                .iter()
                .all(|h| &*h.person == "p3")
        );
        s.delete_group("g2").unwrap();
        assert!(!s.by_identity.contains_key(&7), "{:?}", s.by_identity);
    }

    /// `cargo test --release --lib search_cost -- --ignored --nocapture`:
    /// SearchPersons' state work with 1,000 and 1,000,000 persons in a group.
    #[test]
    #[ignore = "a measurement, not a test"]
    fn search_cost_does_not_grow_with_the_library() {
        let p50 = |n: u64| {
            let mut s = State::new();
            s.seed("g", "p", n, 1);
            let probe = super::super::faces::identity_of_name("p7");
            let mut times: Vec<std::time::Duration> = (0..2001)
                .map(|_| {
                    let t = std::time::Instant::now();
                    let hits = s.search(&["g"], probe, 5, 0.0, false);
                    assert_eq!(&*hits[0].person, "p7");
                    t.elapsed()
                })
                .collect();
            times.sort();
            times[1000]
        };
        let (small, large) = (p50(1_000), p50(1_000_000));
        println!(
            "search p50: 1,000 persons {small:?}, 1,000,000 persons {large:?}, ratio {:.2}",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}
