//! Integration tests that are not case files, in one binary.

mod person_id;
