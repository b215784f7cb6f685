//! Reads a Tencent API page saved as text (the form of `DeletePerson.txt`):
//! its action, parameters, examples and error-code table.
//!
//! (Filled in by the catalog work.)
