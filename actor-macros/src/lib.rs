//! Derive and attribute macros for `actor-core`.
//!
//! Use them through `actor_core` (`use actor_core::prelude::*;`), which
//! re-exports both under its default `macros` feature; this crate is not
//! meant to be a direct dependency. Neither macro does anything a user
//! cannot write by hand: `#[derive(Actor)]` writes an `impl Actor`, and
//! `#[messages]` writes message structs, `Handler` impls and an extension
//! trait. The hand-written equivalent of the README's counter is shown
//! [below](#what-messages-generates).
//!
//! # `#[derive(Actor)]`
//!
//! ```ignore
//! use actor_core::prelude::*;
//!
//! #[derive(Actor)]
//! #[actor(mailbox = 256, name = "counter")]
//! struct Counter { n: u64 }
//! ```
//!
//! writes
//!
//! ```ignore
//! impl ::actor_core::__private::Actor for Counter {
//!     const MAILBOX: usize = 256;
//!     fn name() -> &'static str { "counter" }
//! }
//! ```
//!
//! Both options are optional: without `mailbox` the trait's default
//! capacity (1024) applies, and without `name` the name is the type's
//! identifier (`"Counter"`, also for a generic `Stack<T>`: `"Stack"`). The
//! lifecycle hooks keep their defaults; an actor that needs `on_start`,
//! `on_stop` or `on_panic` writes `impl Actor` by hand instead.
//!
//! Structs and enums work, generics included: every type parameter gets a
//! `T: Send + 'static` bound, which `Actor` needs. Lifetime parameters and
//! unions are rejected. `mailbox` takes an integer literal of at least 1
//! (a zero-capacity mailbox could never accept a message); `name` takes a
//! non-empty string literal. An unknown key, a repeated key or a value of
//! the wrong kind is a compile error at that token, and every such error
//! is reported in the same build.
//!
//! # `#[messages]`
//!
//! On an inherent impl block of an actor, `#[messages]` turns **every**
//! `fn` of the block into a message; helpers belong in another impl block.
//! For each method, say `pub async fn inc(&mut self, by: u64)`, it
//! generates:
//!
//! - a message struct named after the method in PascalCase, with the
//!   method's visibility and doc comment, holding the arguments as fields
//!   of the same visibility: `pub struct Inc { pub by: u64 }`
//!   (`get(&self)` gives `pub struct Get {}`);
//! - `impl Handler<Inc> for Counter` whose `Reply` is the method's return
//!   type (`()` when there is none) and whose `handle` calls the method,
//!   which stays in the impl block unchanged;
//! - one method on the extension trait `CounterMessages`, implemented for
//!   `ActorRef<Counter>`: `counter.inc(5)` returns a `MessageCall`, so
//!   `counter.inc(5).await?` asks (and yields the reply),
//!   `counter.inc(5).tell().await?` tells, and
//!   `counter.inc(5).timeout(d).await?` asks with a deadline.
//!
//! The extension trait is named after the actor type with `Messages`
//! appended (`Counter` → `CounterMessages`, `Stack<T>` →
//! `StackMessages<T>`) and is generated right after the impl block, with
//! the widest visibility of the block's methods. Callers in other modules
//! import it like any trait: `use crate::counter::CounterMessages;`.
//!
//! Method rules, each a spanned compile error when broken (all of them are
//! reported at once):
//!
//! - it is an `async fn` with a `&self` or `&mut self` receiver; `self` by
//!   value, a missing receiver, `const`, `unsafe` or an ABI are rejected;
//! - it is not generic; put type parameters on the impl block
//!   (`impl<T: Clone + Send + 'static> Stack<T>`), and the message struct
//!   takes exactly those of them its fields use (`Push<T>`, `Len`);
//! - every argument is a plain identifier (`by: u64`, `mut by: u64`), not a
//!   pattern, and its type is owned: no `impl Trait`, no borrow other than
//!   `&'static`; `Self` in an argument type is allowed and means the actor;
//! - one argument may be the context, any `&mut Context<..>`; it is passed
//!   through from `handle` and is not part of the message struct;
//! - its name may not collide with a method `ActorRef` already has
//!   (`tell`, `try_tell`, `tell_timeout`, `ask`, `try_ask`, `stop`, `kill`,
//!   `wait_for_stop`, `status`, `is_alive`, `id`, `name`, `recipient`,
//!   `downgrade`, `metrics`, `clone`, and the std prelude's `clone_from`,
//!   `eq`, `ne`, `to_owned`, `clone_into`, `into`, `try_into`), nor yield
//!   the actor's own name or another method's struct name;
//! - the reply type is owned and not `impl Trait`.
//!
//! `#[message(derive(Debug, Clone))]` on a method is optional and only
//! carries options for its message struct; `derive(...)` is the one
//! option. `#[cfg(...)]` on a method is repeated on everything generated
//! for it.
//!
//! Notes:
//!
//! - A `&self` method's future holds `&Self` across its `.await`s, so the
//!   handler future is `Send` only if the actor is `Sync`. An actor with a
//!   `Cell` or another `!Sync` field gives such methods `&mut self`.
//! - Message structs are generated beside the impl block, so two actors
//!   with a `get` method in the same module would both define `Get`; give
//!   each actor its own module.
//! - One `#[messages]` block per actor: a second block would define the
//!   extension trait twice.
//! - On an error the impl block is emitted unchanged, along with everything
//!   generated for the methods that are valid, so one mistake does not
//!   cascade into unrelated errors.
//!
//! # What `#[messages]` generates
//!
//! For the README's counter,
//!
//! ```ignore
//! use actor_core::prelude::*;
//!
//! #[derive(Actor)]
//! struct Counter { n: u64 }
//!
//! #[messages]
//! impl Counter {
//!     /// Adds `by` to the count.
//!     pub async fn inc(&mut self, by: u64) { self.n += by }
//!     /// The current count.
//!     pub async fn get(&self) -> u64 { self.n }
//! }
//! ```
//!
//! `#[messages]` emits the impl block unchanged, followed by this (doc
//! comments abridged; the workspace's `tests/macro_expansion.rs` compiles
//! this very code against `actor_core` and drives it, so it stays true):
//!
//! ```ignore
//! /// Adds `by` to the count.
//! pub struct Inc {
//!     /// Argument `by` of `Counter::inc`.
//!     pub by: u64,
//! }
//!
//! /// The current count.
//! pub struct Get {}
//!
//! #[automatically_derived]
//! impl ::actor_core::__private::Handler<Inc> for Counter {
//!     type Reply = ();
//!
//!     async fn handle(&mut self, msg: Inc, _ctx: &mut ::actor_core::__private::Context<Self>) -> Self::Reply {
//!         <Counter>::inc(self, msg.by).await
//!     }
//! }
//!
//! #[automatically_derived]
//! impl ::actor_core::__private::Handler<Get> for Counter {
//!     type Reply = u64;
//!
//!     async fn handle(&mut self, _msg: Get, _ctx: &mut ::actor_core::__private::Context<Self>) -> Self::Reply {
//!         <Counter>::get(self).await
//!     }
//! }
//!
//! /// Typed client methods on `ActorRef<Counter>`, one per message of its
//! /// `#[messages]` block; generated by `#[messages]`.
//! #[allow(private_interfaces, private_bounds)]
//! pub trait CounterMessages {
//!     /// Adds `by` to the count.
//!     fn inc(&self, by: u64) -> ::actor_core::__private::MessageCall<'_, Counter, Inc>;
//!     /// The current count.
//!     fn get(&self) -> ::actor_core::__private::MessageCall<'_, Counter, Get>;
//! }
//!
//! #[automatically_derived]
//! impl CounterMessages for ::actor_core::__private::ActorRef<Counter> {
//!     fn inc(&self, by: u64) -> ::actor_core::__private::MessageCall<'_, Counter, Inc> {
//!         ::actor_core::__private::MessageCall::new(self, Inc { by })
//!     }
//!     fn get(&self) -> ::actor_core::__private::MessageCall<'_, Counter, Get> {
//!         ::actor_core::__private::MessageCall::new(self, Get {})
//!     }
//! }
//! ```
//!
//! A method taking the context, `async fn bump(&mut self, ctx: &mut
//! Context<Self>, by: u64)`, gets `Bump { by }` and a handler that calls
//! `<Counter>::bump(self, ctx, msg.by)`. For a generic actor, `impl<T:
//! Clone + Send + 'static> Stack<T>`, every generated impl and the trait
//! carry the block's generics plus `T: Send + 'static`:
//! `impl<T: Clone + Send + 'static> Handler<Push<T>> for Stack<T> where T:
//! Send + 'static` and `trait StackMessages<T: Clone + Send + 'static>`.
//!
//! # Paths
//!
//! Generated code names the runtime only through
//! `::actor_core::__private`, a hidden module of `actor_core` that is not
//! part of its public API, so it compiles whatever the user imported.

mod ast;
mod expand;
mod valid;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;

/// Implements `Actor` for a struct or enum.
///
/// Reads `#[actor(mailbox = N, name = "...")]`, both optional: `MAILBOX`
/// defaults to the trait's 1024 and `name()` to the type's identifier. The
/// lifecycle hooks keep their defaults. See the [crate docs](crate) for the
/// rules and errors.
#[proc_macro_derive(Actor, attributes(actor))]
pub fn derive_actor(input: TokenStream) -> TokenStream {
    derive_actor2(input.into()).into()
}

/// Turns every method of an inherent impl block into a message: a message
/// struct, a `Handler` impl and a typed client method on `ActorRef`.
///
/// `#[message(derive(...))]` on a method passes derives to its message
/// struct. See the [crate docs](crate) for what is generated and the rules.
#[proc_macro_attribute]
pub fn messages(args: TokenStream, input: TokenStream) -> TokenStream {
    messages2(args.into(), input.into()).into()
}

fn derive_actor2(input: TokenStream2) -> TokenStream2 {
    let input = match ast::ActorInput::parse(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match valid::actor(&input) {
        Ok(model) => expand::actor(&model),
        Err(e) => {
            let errors = e.to_compile_error();
            let fallback = expand::actor_fallback(&input);
            quote!(#errors #fallback)
        }
    }
}

fn messages2(args: TokenStream2, input: TokenStream2) -> TokenStream2 {
    let parsed = match ast::MessagesInput::parse(input.clone()) {
        Ok(parsed) => parsed,
        Err(_) => {
            let error = not_an_impl(&input).to_compile_error();
            return quote!(#error #input);
        }
    };
    let (model, error) = valid::messages(&parsed, args);
    let output = expand::messages(&parsed, model.as_ref());
    let error = error.map(|e| e.to_compile_error());
    quote!(#error #output)
}

/// The error for `#[messages]` on something other than an impl block,
/// spanned at the item's keyword.
fn not_an_impl(input: &TokenStream2) -> syn::Error {
    use syn::spanned::Spanned;
    let span = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Fn(f)) => f.sig.fn_token.span,
        Ok(syn::Item::Struct(s)) => s.struct_token.span,
        Ok(syn::Item::Enum(e)) => e.enum_token.span,
        Ok(syn::Item::Trait(t)) => t.trait_token.span,
        Ok(syn::Item::Mod(m)) => m.mod_token.span,
        Ok(item) => item.span(),
        Err(e) => return e,
    };
    syn::Error::new(span, "`#[messages]` goes on an inherent impl block such as `impl Counter { ... }`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalize(tokens: &TokenStream2) -> String {
        tokens.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The `compile_error!` messages in an expansion.
    fn errors(tokens: &TokenStream2) -> Vec<String> {
        let text = tokens.to_string();
        text.split("compile_error !")
            .skip(1)
            .map(|rest| {
                let start = rest.find('"').unwrap() + 1;
                let end = rest[start..].find("\" }").unwrap() + start;
                rest[start..end].to_string()
            })
            .collect()
    }

    /// The code blocks of the crate docs' "What `#[messages]` generates"
    /// section: the input, then the expansion.
    fn documented_expansion() -> (String, String) {
        let docs: String = include_str!("lib.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let section = docs.split("# What `#[messages]` generates").nth(1).expect("section present");
        let mut blocks = section.split("```ignore\n").skip(1).map(|b| b.split("```").next().unwrap().to_string());
        (blocks.next().unwrap(), blocks.next().unwrap())
    }

    /// Removes `#[doc]` attributes (abridged in the docs) and normalizes
    /// spacing.
    fn without_docs(file: syn::File) -> String {
        fn strip(attrs: &mut Vec<syn::Attribute>) {
            attrs.retain(|a| !a.path().is_ident("doc"));
        }
        let mut file = file;
        for item in &mut file.items {
            match item {
                syn::Item::Struct(s) => {
                    strip(&mut s.attrs);
                    s.fields.iter_mut().for_each(|f| strip(&mut f.attrs));
                }
                syn::Item::Trait(t) => {
                    strip(&mut t.attrs);
                    for i in &mut t.items {
                        if let syn::TraitItem::Fn(f) = i {
                            strip(&mut f.attrs);
                        }
                    }
                }
                syn::Item::Impl(i) => {
                    strip(&mut i.attrs);
                    for i in &mut i.items {
                        if let syn::ImplItem::Fn(f) = i {
                            strip(&mut f.attrs);
                        }
                    }
                }
                _ => {}
            }
        }
        normalize(&quote!(#file))
    }

    // The crate docs show, by hand, what `#[messages]` generates for the
    // README counter; this keeps that text equal to the real expansion.
    #[test]
    fn documented_expansion_matches_the_macro() {
        let (input, expansion) = documented_expansion();
        let input: syn::File = syn::parse_str(&input).unwrap();
        let block = input
            .items
            .into_iter()
            .find_map(|i| match i {
                syn::Item::Impl(mut i) => {
                    i.attrs.retain(|a| !a.path().is_ident("messages"));
                    Some(i)
                }
                _ => None,
            })
            .unwrap();
        let out = messages2(TokenStream2::new(), quote!(#block));
        let mut generated: syn::File = syn::parse2(out).unwrap();
        assert!(matches!(&generated.items[0], syn::Item::Impl(i) if i.self_ty == block.self_ty));
        generated.items.remove(0);
        let documented: syn::File = syn::parse_str(&expansion).unwrap();
        assert_eq!(without_docs(documented), without_docs(generated));
    }

    #[test]
    fn derive_writes_mailbox_and_name() {
        let out = derive_actor2(quote! {
            #[actor(mailbox = 256, name = "counter")]
            struct Counter { n: u64 }
        });
        let text = normalize(&out);
        assert!(text.contains("impl :: actor_core :: __private :: Actor for Counter"), "{text}");
        assert!(text.contains("const MAILBOX : usize = 256 ;"), "{text}");
        assert!(text.contains("\"counter\""), "{text}");
        assert!(text.contains("# [automatically_derived]"), "{text}");
    }

    #[test]
    fn derive_defaults_name_to_ident_and_keeps_mailbox_default() {
        let out = derive_actor2(quote! { enum Light { On, Off } });
        let text = normalize(&out);
        assert!(!text.contains("MAILBOX"), "{text}");
        assert!(text.contains("\"Light\""), "{text}");
    }

    #[test]
    fn derive_bounds_type_params() {
        let out = derive_actor2(quote! { struct Stack<T, const N: usize> where T: Clone { items: Vec<T> } });
        let text = normalize(&out);
        assert!(text.contains("where T : Clone , T : :: core :: marker :: Send + 'static"), "{text}");
    }

    #[test]
    fn derive_reports_every_bad_option_with_a_fallback() {
        let out = derive_actor2(quote! {
            #[actor(mailbox = 0, capacity = 3, name = 5)]
            #[actor(mailbox = 1)]
            struct Counter;
        });
        let errs = errors(&out);
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].contains("at least 1"), "{errs:?}");
        assert!(errs[1].contains("unknown actor option `capacity`"), "{errs:?}");
        assert!(errs[2].contains("string literal"), "{errs:?}");
        assert!(errs[3].contains("duplicate actor option `mailbox`"), "{errs:?}");
        let text = normalize(&out);
        assert!(text.contains("Actor for Counter { }"), "{text}");
    }

    #[test]
    fn derive_rejects_non_integers_and_suffixes() {
        let errs = errors(&derive_actor2(quote! {
            #[actor(mailbox = "big")] struct A;
        }));
        assert!(errs[0].contains("integer literal"), "{errs:?}");
        let errs = errors(&derive_actor2(quote! {
            #[actor(mailbox = 8u8)] struct A;
        }));
        assert!(errs[0].contains("suffix"), "{errs:?}");
        let errs = errors(&derive_actor2(quote! {
            #[actor(mailbox)] struct A;
        }));
        assert!(errs[0].contains("needs a value"), "{errs:?}");
    }

    const COUNTER: &str = r#"
        impl Counter {
            /// Adds.
            #[message(derive(Debug, Clone))]
            pub async fn inc(&mut self, by: u64) { self.n += by }
            pub async fn get(&self) -> u64 { self.n }
            async fn bump(&mut self, ctx: &mut Context<Self>, by: u64) {}
        }
    "#;

    #[test]
    fn messages_generates_structs_handlers_and_client() {
        let out = messages2(TokenStream2::new(), COUNTER.parse().unwrap());
        let text = normalize(&out);
        assert!(errors(&out).is_empty(), "{text}");
        assert!(!text.contains("# [message"), "message attrs stripped: {text}");
        assert!(text.contains("# [doc = \" Adds.\"] # [derive (Debug , Clone)] pub struct Inc { # [doc = \" Argument `by` of `Counter::inc`.\"] pub by : u64 , }"), "{text}");
        assert!(text.contains("pub struct Get { }"), "{text}");
        assert!(text.contains("struct Bump { # [doc = \" Argument `by` of `Counter::bump`.\"] by : u64 , }"), "{text}");
        assert!(text.contains("impl :: actor_core :: __private :: Handler < Inc > for Counter"), "{text}");
        assert!(text.contains("type Reply = () ;"), "{text}");
        assert!(text.contains("type Reply = u64 ;"), "{text}");
        assert!(text.contains("< Counter > :: bump (self , ctx , msg . by) . await"), "{text}");
        assert!(text.contains("pub trait CounterMessages"), "{text}");
        assert!(text.contains("impl CounterMessages for :: actor_core :: __private :: ActorRef < Counter >"), "{text}");
        assert!(text.contains(":: actor_core :: __private :: MessageCall :: new (self , Inc { by })"), "{text}");
    }

    #[test]
    fn messages_generic_actor_takes_only_used_params() {
        let out = messages2(
            TokenStream2::new(),
            quote! {
                impl<T: Clone + Send + 'static, const N: usize> Stack<T, N> {
                    pub async fn push(&mut self, item: T) {}
                    pub async fn peek(&self) -> Option<T> { None }
                    pub async fn fill(&mut self, all: [u8; N]) {}
                    pub async fn again(&mut self, again: Vec<Self>) {}
                }
            },
        );
        let text = normalize(&out);
        assert!(errors(&out).is_empty(), "{text}");
        assert!(text.contains("pub struct Push < T > {"), "{text}");
        assert!(text.contains("pub struct Peek { }"), "{text}");
        assert!(text.contains("pub struct Fill < const N : usize > {"), "{text}");
        assert!(text.contains("pub struct Again < T , const N : usize > { # [doc = \" Argument `again` of `Stack::again`.\"] pub again : Vec < Stack < T , N > > , }"), "{text}");
        assert!(
            text.contains("Handler < Push < T > > for Stack < T , N > where T : :: core :: marker :: Send + 'static"),
            "{text}"
        );
        assert!(text.contains("pub trait StackMessages < T : Clone + Send + 'static , const N : usize >"), "{text}");
    }

    #[test]
    fn messages_collects_every_method_error() {
        let out = messages2(
            TokenStream2::new(),
            quote! {
                impl Counter {
                    pub fn sync(&mut self) {}
                    pub async fn consume(self) {}
                    pub async fn generic<T>(&self, t: T) {}
                    pub async fn opaque(&self, f: impl Fn()) {}
                    pub async fn pattern(&self, (a, b): (u8, u8)) {}
                    pub async fn stop(&self) {}
                    pub async fn free() {}
                    pub async fn borrowed(&self, s: &str) {}
                    pub async fn fine(&self) {}
                }
            },
        );
        let errs = errors(&out);
        assert_eq!(errs.len(), 8, "{errs:#?}");
        assert!(errs[0].contains("must be an `async fn`"));
        assert!(errs[1].contains("`self` by value"));
        assert!(errs[2].contains("cannot be generic"));
        assert!(errs[3].contains("`impl Trait` arguments"));
        assert!(errs[4].contains("not a pattern"));
        assert!(errs[5].contains("collides with `ActorRef::stop`"));
        assert!(errs[6].contains("needs a `&self` or `&mut self` receiver"));
        assert!(errs[7].contains("must be owned"));
        // The valid method is still generated, the invalid ones are not.
        let text = normalize(&out);
        assert!(text.contains("pub struct Fine { }"), "{text}");
        assert!(!text.contains("struct Sync"), "{text}");
    }

    #[test]
    fn messages_on_trait_impl_or_non_impl_is_an_error() {
        let out = messages2(
            TokenStream2::new(),
            quote! { impl Default for Counter { fn default() -> Self { Counter { n: 0 } } } },
        );
        let errs = errors(&out);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("not on a trait impl"), "{errs:?}");
        assert!(normalize(&out).contains("impl Default for Counter"));

        let out = messages2(TokenStream2::new(), quote! { struct Counter; });
        let errs = errors(&out);
        assert!(errs[0].contains("inherent impl block"), "{errs:?}");
    }

    #[test]
    fn messages_rejects_arguments_and_unknown_options() {
        let out = messages2(
            quote!(foo),
            quote! {
                impl Counter {
                    #[message(derive(Debug), rename = "x")]
                    pub async fn inc(&self) {}
                    pub async fn counter(&self) {}
                }
            },
        );
        let errs = errors(&out);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains("takes no arguments"), "{errs:?}");
        assert!(errs[1].contains("unknown `#[message]` option `rename`"), "{errs:?}");
        assert!(errs[2].contains("the actor's own name"), "{errs:?}");
    }
}
