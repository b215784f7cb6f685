//! The documented rules on IDs and names, one validator for everything
//! (emulator, case generators, property tests).
//!
//! Each check answers the `Error.Code` the cloud documents, or `Ok(())`.
//! When a value breaks two rules the length is reported first: a 70-byte
//! ID with a space in it is `...TooLong`.

/// The code for a required parameter that is absent or empty. The IAI
/// document names `MissingParameter.ErrorParameterEmpty` ("a required
/// parameter is empty"); the harness uses it for both.
pub(crate) const PARAMETER_EMPTY: &str = "MissingParameter.ErrorParameterEmpty";

/// Longest PersonId or GroupId, in bytes.
pub(crate) const MAX_ID_BYTES: usize = 64;
/// Longest person or group name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 60;
/// Longest group tag (remarks), in characters; it may be empty.
pub(crate) const MAX_TAG_CHARS: usize = 40;
/// Longest custom description-field name of a group, in characters.
pub(crate) const MAX_DESCRIPTION_NAME_CHARS: usize = 30;
/// Longest person description value, in characters.
pub(crate) const MAX_DESCRIPTION_VALUE_CHARS: usize = 60;

/// Which identifier a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Person,
    Group,
}

/// Whether `c` may appear in a PersonId or GroupId: ASCII letters, digits
/// and `-%@#&_`.
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-%@#&_".contains(c)
}

/// Checks a PersonId or GroupId: 1 to 64 bytes of [`is_id_char`].
pub(crate) fn check_id(kind: IdKind, value: &str) -> Result<(), &'static str> {
    let (too_long, illegal) = match kind {
        IdKind::Person => (
            "InvalidParameterValue.PersonIdTooLong",
            "InvalidParameterValue.PersonIdIllegal",
        ),
        IdKind::Group => (
            "InvalidParameterValue.GroupIdTooLong",
            "InvalidParameterValue.GroupIdIllegal",
        ),
    };
    if value.is_empty() {
        Err(PARAMETER_EMPTY)
    } else if value.len() > MAX_ID_BYTES {
        Err(too_long)
    } else if !value.chars().all(is_id_char) {
        Err(illegal)
    } else {
        Ok(())
    }
}

/// Which name-like text a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    PersonName,
    GroupName,
    GroupTag,
    GroupDescriptionName,
}

/// Whether `c` may appear in a name: letters of any script (Chinese
/// included), digits, `-` and `_`.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Checks a name, tag or description-field name.
pub(crate) fn check_name(kind: NameKind, value: &str) -> Result<(), &'static str> {
    let (min, max, too_long, illegal) = match kind {
        NameKind::PersonName => (
            1,
            MAX_NAME_CHARS,
            "InvalidParameterValue.PersonNameTooLong",
            "InvalidParameterValue.PersonNameIllegal",
        ),
        NameKind::GroupName => (
            1,
            MAX_NAME_CHARS,
            "InvalidParameterValue.GroupNameTooLong",
            "InvalidParameterValue.GroupNameIllegal",
        ),
        NameKind::GroupTag => (
            0,
            MAX_TAG_CHARS,
            "InvalidParameterValue.GroupTagTooLong",
            "InvalidParameterValue.GroupTagIllegal",
        ),
        NameKind::GroupDescriptionName => (
            1,
            MAX_DESCRIPTION_NAME_CHARS,
            "InvalidParameterValue.GroupExDescriptionsNameTooLong",
            "InvalidParameterValue.GroupExDescriptionsNameIllegal",
        ),
    };
    let chars = value.chars().count();
    if chars < min {
        Err(PARAMETER_EMPTY)
    } else if chars > max {
        Err(too_long)
    } else if !value.chars().all(is_name_char) {
        Err(illegal)
    } else {
        Ok(())
    }
}

/// Checks a gender: 0 (not given), 1 (male) or 2 (female).
pub(crate) fn check_gender(value: i64) -> Result<(), &'static str> {
    if (0..=2).contains(&value) {
        Ok(())
    } else {
        Err("InvalidParameterValue.PersonGenderIllegal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2001", Ok(()))]
    #[case("a-%@#&_Z9", Ok(()))]
    #[case("", Err(PARAMETER_EMPTY))]
    #[case(&"x".repeat(64), Ok(()))]
    #[case(&"x".repeat(65), Err("InvalidParameterValue.PersonIdTooLong"))]
    #[case("a b", Err("InvalidParameterValue.PersonIdIllegal"))]
    #[case("a/b", Err("InvalidParameterValue.PersonIdIllegal"))]
    #[case("a.b", Err("InvalidParameterValue.PersonIdIllegal"))]
    #[case("张三", Err("InvalidParameterValue.PersonIdIllegal"))]
    #[case(&"张".repeat(22), Err("InvalidParameterValue.PersonIdTooLong"))]
    fn person_ids(#[case] id: &str, #[case] expected: Result<(), &'static str>) {
        assert_eq!(check_id(IdKind::Person, id), expected);
    }

    #[rstest]
    #[case(NameKind::PersonName, "韦小宝", Ok(()))]
    #[case(NameKind::PersonName, "Evan_Liao-2", Ok(()))]
    #[case(NameKind::PersonName, "", Err(PARAMETER_EMPTY))]
    #[case(NameKind::PersonName, &"名".repeat(61), Err("InvalidParameterValue.PersonNameTooLong"))]
    #[case(
        NameKind::GroupName,
        "a b",
        Err("InvalidParameterValue.GroupNameIllegal")
    )]
    #[case(NameKind::GroupTag, "", Ok(()))]
    #[case(NameKind::GroupTag, &"t".repeat(41), Err("InvalidParameterValue.GroupTagTooLong"))]
    fn names(
        #[case] kind: NameKind,
        #[case] value: &str,
        #[case] expected: Result<(), &'static str>,
    ) {
        assert_eq!(check_name(kind, value), expected);
    }
}
