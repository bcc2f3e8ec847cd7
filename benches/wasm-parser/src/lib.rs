//! The parser benchmark's cases (`benches/support/cases.rs`) for JavaScript: `caseAt(i)` builds
//! one in wasm memory, and `Case::run` feeds it to the parser, as the native benchmark does.

use wasm_bindgen::prelude::*;

#[path = "../../support/cases.rs"]
mod cases;

/// One case, built once and run many times.
#[wasm_bindgen]
pub struct Case(cases::Case);

#[wasm_bindgen]
impl Case {
    /// The case's name, as the native benchmark names it.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name.to_owned()
    }

    /// The stream's length in bytes.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> usize {
        self.0.stream.len()
    }

    /// Parses the whole stream; the bytes of data dispatched.
    pub fn run(&self) -> usize {
        cases::ours(&self.0)
    }
}

/// The `i`-th case, in the native benchmark's order (the huge line at 1 MiB then 8 MiB), or
/// `None` past the last.
#[wasm_bindgen(js_name = caseAt)]
pub fn case_at(i: usize) -> Option<Case> {
    let c = match i {
        0 => cases::small_json_events(),
        1 => cases::large_events(),
        2 => cases::huge_line(1),
        3 => cases::huge_line(8),
        _ => return None,
    };
    Some(Case(c))
}
