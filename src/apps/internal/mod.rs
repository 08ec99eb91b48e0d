//! The workers' internal JSON API, the part every app shares: workers hold
//! no database, so a job loads its record and stores its result on the web
//! node under `/internal/…`, with `Authorization: Bearer
//! <KIQLAB_INTERNAL_TOKEN>`. Each app's `internal` module holds its own
//! contract (records, routes, and the worker's calls).
//!
//! - `server`: the token gate and the JSON error answers
//! - `client`: the worker's HTTP client and its errors
//!
//! | method | path | body → answer | app |
//! | --- | --- | --- | --- |
//! | GET | `/internal/snippets/{id}` | → `SnippetRecord` | snippets |
//! | PUT | `/internal/snippets/{id}/highlight` | `HighlightResult` → 204 | snippets |
//! | GET | `/internal/posts/{id}` | → `PostRecord` | blog |
//! | PUT | `/internal/posts/{id}/auto_tags` | `AutoTagResult` → 204 | blog |
//! | POST | `/internal/fib/deliveries` | `DeliveryReport` → 204 | fibtastic |

mod client;
mod server;

pub use client::{WebApi, WebApiError};
pub use server::{id, require_token, InternalError};
