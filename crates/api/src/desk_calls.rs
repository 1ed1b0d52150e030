//! `desk_calls!`: the macro behind the table of desktop calls in `desk.rs`. Each line of the table
//! names a call, its arguments and its reply; from that one line come
//!
//! - a variant of `DeskCall`, what the UI sends (`{ "method": "sign_in", "args": {...} }`;
//!   calls without arguments leave `args` out);
//! - a variant of `DeskReply`, what goes back (serialized as the bare reply);
//! - a method of `DeskHandler`, which must return exactly that reply type: `Desk` implements
//!   it, so the compiler checks every call's answer;
//! - a field of `DeskReplies`, the table the UI's typed `call()` looks reply types up in
//!   (exported to TypeScript with the other wire types).
//!
//! The method name (`sign_in`) is written beside the variant (`SignIn`) because a declarative
//! macro cannot derive one from the other; serde's `snake_case` spelling of the variant must
//! equal it, which a test in `desk.rs` checks.

macro_rules! desk_calls {
    ($(
        $(#[$attr:meta])*
        $method:ident: $variant:ident $({ $($(#[$arg_attr:meta])* $arg:ident: $arg_ty:ty),* $(,)? })? -> $reply:ty;
    )*) => {
        /// Every call the UI can make. Serialized as `{ "method": "...", "args": {...} }`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
        #[serde(tag = "method", content = "args", rename_all = "snake_case")]
        pub enum DeskCall {
            $( $(#[$attr])* $variant $({ $($(#[$arg_attr])* $arg: $arg_ty),* })?, )*
        }

        /// The answer to a `DeskCall`: the variant of the same name, serialized as its bare value.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum DeskReply {
            $( $variant($reply), )*
        }

        /// What each Desk call answers, by method name: the UI's typed `call()` reads its reply
        /// types from this table.
        // Never built in Rust: it exists to be exported to TypeScript.
        #[derive(TS)]
        pub struct DeskReplies {
            $( $(#[$attr])* pub $method: $reply, )*
        }

        /// Answers every `DeskCall`, each method with the reply type of its line in the table.
        pub trait DeskHandler: Sync {
            type Error;
            $(
                $(#[$attr])*
                fn $method(&self $($(, $arg: $arg_ty)*)?)
                    -> impl std::future::Future<Output = Result<$reply, Self::Error>> + Send;
            )*
        }

        impl DeskCall {
            /// Every method name, in the table's order.
            pub const METHODS: &'static [&'static str] = &[$(stringify!($method)),*];

            /// The method name on the wire.
            pub fn method(&self) -> &'static str {
                match self {
                    $( DeskCall::$variant { .. } => stringify!($method), )*
                }
            }

            /// Hands the call to the handler's method of the same name.
            pub async fn answer_with<H: DeskHandler>(self, handler: &H) -> Result<DeskReply, H::Error> {
                Ok(match self {
                    $(
                        DeskCall::$variant $({ $($arg),* })? =>
                            DeskReply::$variant(handler.$method($($($arg),*)?).await?),
                    )*
                })
            }
        }
    };
}

pub(crate) use desk_calls;
