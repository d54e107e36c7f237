//! Validation: check the parsed input against the rules of each macro and
//! build the model that [`crate::expand`] turns into code.
//!
//! Every check runs even after an earlier one failed; all errors are kept,
//! each spanned at the token it is about, and combined into one
//! [`syn::Error`] so that the user sees them all in a single build.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, GenericParam, Generics, Ident, ItemImpl, Lit, LitInt, LitStr, Pat, Path,
    PathArguments, ReturnType, Type, TypeParamBound, Visibility,
};

use crate::ast::{ActorInput, MessageOption, MessagesInput, MethodInput};

/// Names of methods that `ActorRef` already has (inherent or through a
/// blanket trait in the std prelude). A client method with one of these
/// names would be shadowed or ambiguous, so it is rejected.
pub(crate) const RESERVED: &[&str] = &[
    "tell",
    "try_tell",
    "tell_timeout",
    "ask",
    "try_ask",
    "stop",
    "kill",
    "wait_for_stop",
    "status",
    "is_alive",
    "id",
    "name",
    "recipient",
    "downgrade",
    "metrics",
    "clone",
    "clone_from",
    "eq",
    "ne",
    "to_owned",
    "clone_into",
    "into",
    "try_into",
];

/// Collects errors, combining them into one.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
    count: usize,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.count += 1;
        match &mut self.combined {
            Some(all) => all.combine(error),
            None => self.combined = Some(error),
        }
    }

    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    pub(crate) fn into_error(self) -> Option<syn::Error> {
        self.combined
    }
}

// ---------------------------------------------------------------------------
// #[derive(Actor)]
// ---------------------------------------------------------------------------

/// A valid `#[derive(Actor)]` input.
pub(crate) struct ActorModel<'a> {
    pub(crate) input: &'a ActorInput,
    /// `None`: keep the trait's default capacity.
    pub(crate) mailbox: Option<LitInt>,
    /// `None`: the type's identifier.
    pub(crate) name: Option<LitStr>,
}

pub(crate) fn actor(input: &ActorInput) -> Result<ActorModel<'_>, syn::Error> {
    let mut errors = Errors::default();
    for e in &input.errors {
        errors.push(e.clone());
    }
    if let Some(span) = input.union_token {
        errors.at(span, "`#[derive(Actor)]` supports structs and enums, not unions");
    }
    for lifetime in input.generics.lifetimes() {
        errors.spanned(
            &lifetime.lifetime,
            format_args!(
                "an actor owns its state and must be `'static`; lifetime parameter `{}` is not supported",
                lifetime.lifetime
            ),
        );
    }

    let mut mailbox: Option<LitInt> = None;
    let mut name: Option<LitStr> = None;
    let mut seen: Vec<String> = Vec::new();
    for option in &input.options {
        let key = option.key.to_string();
        let known = key == "mailbox" || key == "name";
        if !known {
            errors.at(
                option.key.span(),
                format_args!("unknown actor option `{key}`; expected `mailbox = N` or `name = \"...\"`"),
            );
            continue;
        }
        if seen.contains(&key) {
            errors.at(option.key.span(), format_args!("duplicate actor option `{key}`; give it once"));
            continue;
        }
        seen.push(key.clone());
        let Some(value) = &option.value else {
            let example = if key == "mailbox" { "mailbox = 256" } else { "name = \"cache\"" };
            errors.at(option.key.span(), format_args!("actor option `{key}` needs a value: `{example}`"));
            continue;
        };
        if key == "mailbox" {
            match mailbox_capacity(value) {
                Ok(lit) => mailbox = Some(lit),
                Err(e) => errors.push(e),
            }
        } else {
            match actor_name(value) {
                Ok(lit) => name = Some(lit),
                Err(e) => errors.push(e),
            }
        }
    }

    match errors.into_error() {
        Some(e) => Err(e),
        None => Ok(ActorModel { input, mailbox, name }),
    }
}

fn mailbox_capacity(value: &Expr) -> syn::Result<LitInt> {
    let int = match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) => int,
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), .. }) => {
            return Err(syn::Error::new_spanned(
                value,
                "mailbox capacity must be a positive integer, e.g. `mailbox = 256`",
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                value,
                "mailbox capacity must be an integer literal, e.g. `mailbox = 256`",
            ));
        }
    };
    if !matches!(int.suffix(), "" | "usize") {
        return Err(syn::Error::new(
            int.span(),
            format_args!("mailbox capacity is a `usize`; drop the `{}` suffix", int.suffix()),
        ));
    }
    let n: usize = int.base10_parse().map_err(|_| {
        syn::Error::new(int.span(), format_args!("mailbox capacity `{}` does not fit in a `usize`", int))
    })?;
    if n == 0 {
        return Err(syn::Error::new(
            int.span(),
            "mailbox capacity must be at least 1: a zero-capacity mailbox could never accept a message",
        ));
    }
    Ok(LitInt::new(&n.to_string(), int.span()))
}

fn actor_name(value: &Expr) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => {
            if s.value().is_empty() {
                Err(syn::Error::new(s.span(), "actor name must not be empty"))
            } else {
                Ok(s.clone())
            }
        }
        _ => Err(syn::Error::new_spanned(value, "actor name must be a string literal, e.g. `name = \"cache\"`")),
    }
}

// ---------------------------------------------------------------------------
// #[messages]
// ---------------------------------------------------------------------------

/// A valid `#[messages]` impl block; holds only the methods that passed
/// validation.
pub(crate) struct MessagesModel {
    /// The actor type, as written after `impl<...>`.
    pub(crate) self_ty: Type,
    /// The actor type's identifier: `Stack` for `Stack<T>`.
    pub(crate) self_ident: Ident,
    /// The generics of the impl block, bounds and where clause included.
    pub(crate) generics: Generics,
    /// Name of the generated extension trait.
    pub(crate) trait_ident: Ident,
    /// Visibility of the extension trait: the widest of the methods'.
    pub(crate) trait_vis: Visibility,
    pub(crate) messages: Vec<Message>,
}

/// One method turned into a message.
pub(crate) struct Message {
    /// The method's name, also the client method's name.
    pub(crate) method: Ident,
    /// The message struct's name.
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    /// `#[doc]` attributes of the method.
    pub(crate) docs: Vec<Attribute>,
    /// `#[cfg]` attributes of the method, repeated on every generated item.
    pub(crate) cfgs: Vec<Attribute>,
    pub(crate) derives: Vec<Path>,
    /// Fields of the message struct (the method's arguments minus the
    /// context), with `Self` replaced by the actor type.
    pub(crate) fields: Vec<(Ident, Type)>,
    /// The method's arguments in order, for the call in `handle`.
    pub(crate) args: Vec<CallArg>,
    /// The handler's `Reply` type.
    pub(crate) reply: Type,
    /// The impl block's type and const parameters that the fields use, in
    /// declaration order, bounds and defaults removed.
    pub(crate) struct_params: Vec<GenericParam>,
}

/// One argument of a message method.
pub(crate) enum CallArg {
    /// A field of the message struct.
    Field(Ident),
    /// The `&mut Context<..>` the handler receives.
    Context,
}

pub(crate) fn messages(input: &MessagesInput, args: TokenStream) -> (Option<MessagesModel>, Option<syn::Error>) {
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors.spanned(&args, "`#[messages]` takes no arguments; per-method options go in `#[message(...)]`");
    }
    let item = &input.item;
    let Some(self_ident) = impl_header(item, &mut errors) else {
        return (None, errors.into_error());
    };

    let mut messages: Vec<Message> = Vec::new();
    for method in &input.methods {
        if let Some(message) = message(item, &self_ident, method, &messages, &mut errors) {
            messages.push(message);
        }
    }

    let trait_vis = widest(messages.iter().map(|m| &m.vis));
    let model = MessagesModel {
        self_ty: (*item.self_ty).clone(),
        generics: item.generics.clone(),
        trait_ident: Ident::new(&format!("{self_ident}Messages"), self_ident.span()),
        self_ident,
        trait_vis,
        messages,
    };
    (Some(model), errors.into_error())
}

/// Checks the impl block itself; returns the actor type's identifier.
fn impl_header(item: &ItemImpl, errors: &mut Errors) -> Option<Ident> {
    if let Some((bang, path, for_token)) = &item.trait_ {
        errors.spanned(
            quote::quote!(#bang #path #for_token),
            "`#[messages]` goes on an inherent impl block such as `impl Counter { ... }`, not on a trait impl",
        );
        return None;
    }
    let ident = match &*item.self_ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    };
    let Some(ident) = ident else {
        errors.spanned(&item.self_ty, "`#[messages]` needs a named actor type such as `Counter` or `Stack<T>`");
        return None;
    };
    let mut ok = true;
    for lifetime in item.generics.lifetimes() {
        ok = false;
        errors.spanned(
            &lifetime.lifetime,
            format_args!("an actor must be `'static`; lifetime parameter `{}` is not supported", lifetime.lifetime),
        );
    }
    ok.then_some(ident)
}

fn message(
    item: &ItemImpl,
    self_ident: &Ident,
    method: &MethodInput,
    earlier: &[Message],
    errors: &mut Errors,
) -> Option<Message> {
    let before = errors.count();
    let func = &method.func;
    let sig = &func.sig;
    let name = &sig.ident;

    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token.span,
            format_args!(
                "`#[messages]` turns every method into a message handler, so `{name}` must be an `async fn`; \
                 move helper functions to a separate impl block"
            ),
        );
    }
    if let Some(c) = &sig.constness {
        errors.at(c.span, format_args!("message method `{name}` cannot be `const`"));
    }
    if let Some(u) = &sig.unsafety {
        errors.at(u.span, format_args!("message method `{name}` cannot be `unsafe`: the generated handler calls it"));
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, format_args!("message method `{name}` cannot declare an ABI"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let tokens = if sig.generics.params.is_empty() {
            sig.generics.where_clause.to_token_stream()
        } else {
            sig.generics.to_token_stream()
        };
        errors.spanned(
            tokens,
            format_args!(
                "message method `{name}` cannot be generic: its message struct needs concrete field types; \
                 put type parameters on the impl block instead"
            ),
        );
    }
    let name_str = name.unraw().to_string();
    if RESERVED.contains(&name_str.as_str()) {
        errors.at(
            name.span(),
            format_args!(
                "message method `{name_str}` collides with `ActorRef::{name_str}`; \
                 the generated client method would be unreachable, so rename the method"
            ),
        );
    }

    // Receiver.
    match sig.inputs.first() {
        Some(FnArg::Receiver(recv)) => {
            if recv.colon_token.is_some() {
                if !matches!(*recv.ty, Type::Reference(_)) {
                    let ty = &recv.ty;
                    errors.spanned(
                        recv,
                        format_args!(
                            "message method `{name}` takes `self: {}`; a message handler borrows the actor, \
                             so use `&self` or `&mut self`",
                            quote::quote!(#ty).to_string().replace(" < ", "<").replace(" >", ">")
                        ),
                    );
                }
            } else if recv.reference.is_none() {
                errors.spanned(
                    recv,
                    format_args!(
                        "message method `{name}` takes `self` by value, which would consume the actor; \
                         use `&self` or `&mut self`"
                    ),
                );
            }
        }
        _ => errors.at(
            name.span(),
            format_args!(
                "message method `{name}` needs a `&self` or `&mut self` receiver; \
                 associated functions belong in a separate impl block"
            ),
        ),
    }

    // Arguments.
    let self_ty = &*item.self_ty;
    let mut fields: Vec<(Ident, Type)> = Vec::new();
    let mut args: Vec<CallArg> = Vec::new();
    let mut context_seen = false;
    for arg in sig.inputs.iter() {
        let FnArg::Typed(typed) = arg else { continue };
        let ty = &*typed.ty;
        if is_context(ty) {
            if context_seen {
                errors.spanned(typed, format_args!("message method `{name}` takes the context twice"));
            }
            context_seen = true;
            args.push(CallArg::Context);
            continue;
        }
        let ident = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Some(p.ident.clone()),
            Pat::Wild(w) => {
                errors.spanned(w, "a message argument becomes a struct field and needs a name; `_` is not a name");
                None
            }
            other => {
                errors.spanned(
                    other,
                    "a message argument becomes a struct field and must be a plain identifier \
                     such as `by: u64`, not a pattern",
                );
                None
            }
        };
        if let Some(problem) = type_problem(ty) {
            match problem {
                Problem::ImplTrait(tokens) => errors.spanned(
                    tokens,
                    "`impl Trait` arguments cannot be stored in a message struct; \
                     use a concrete type or a type parameter of the impl block",
                ),
                Problem::Borrowed(tokens) if is_shared_context(ty) => {
                    errors.spanned(tokens, "the context is passed as `&mut Context<Self>`, not `&Context<Self>`")
                }
                Problem::Borrowed(tokens) => errors.spanned(
                    tokens,
                    "a message argument is moved into the message struct and must be owned; \
                     borrowed types such as `&str` cannot be sent to an actor (use `String`)",
                ),
            }
        }
        if let Some(ident) = ident {
            args.push(CallArg::Field(ident.clone()));
            fields.push((ident, replace_self(ty, self_ty)));
        }
    }

    // Reply.
    let reply: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            match type_problem(ty) {
                Some(Problem::ImplTrait(tokens)) => errors.spanned(
                    tokens,
                    "a message reply cannot be `impl Trait`: it is the handler's `Reply` type; name a concrete type",
                ),
                Some(Problem::Borrowed(tokens)) => errors
                    .spanned(tokens, "a message reply is sent back to the caller and must be owned; it cannot borrow"),
                None => {}
            }
            (**ty).clone()
        }
    };

    // Options.
    let mut derives = Vec::new();
    for attr in &method.message_attrs {
        match crate::ast::parse_message_attr(attr) {
            Ok(options) => {
                for option in options {
                    match option {
                        MessageOption::Derive(paths) => derives.extend(paths),
                        MessageOption::Unknown(key) => errors.at(
                            key.span(),
                            format_args!("unknown `#[message]` option `{key}`; the supported option is `derive(...)`"),
                        ),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }

    // The message struct's name.
    let struct_name = pascal_case(&name_str);
    let ident = Ident::new(&struct_name, name.span());
    if ident == *self_ident {
        errors.at(
            name.span(),
            format_args!(
                "the message struct for `{name_str}` would be named `{struct_name}`, the actor's own name; rename the method"
            ),
        );
    }
    if let Some(first) = earlier.iter().find(|m| m.ident == ident) {
        errors.at(
            name.span(),
            format_args!(
                "`{name_str}` and `{}` both generate a message struct named `{struct_name}`; rename one",
                first.method
            ),
        );
    }

    if errors.count() > before {
        return None;
    }

    let used = idents_in(fields.iter().map(|(_, ty)| ty.to_token_stream()));
    let struct_params = item
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) if used.contains(&t.ident) => {
                let ident = &t.ident;
                Some(syn::parse_quote!(#ident))
            }
            GenericParam::Const(c) if used.contains(&c.ident) => {
                let ident = &c.ident;
                let ty = &c.ty;
                Some(syn::parse_quote!(const #ident: #ty))
            }
            _ => None,
        })
        .collect();

    Some(Message {
        method: name.clone(),
        ident,
        vis: func.vis.clone(),
        docs: func.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect(),
        cfgs: func.attrs.iter().filter(|a| a.path().is_ident("cfg")).cloned().collect(),
        derives,
        fields,
        args,
        reply,
        struct_params,
    })
}

/// `inc` → `Inc`, `get_total` → `GetTotal`, `set_v2` → `SetV2`.
pub(crate) fn pascal_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = true;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `&mut Context<..>`, however the path to `Context` is spelled.
fn is_context(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) if r.mutability.is_some() => last_ident_is(&r.elem, "Context"),
        Type::Paren(p) => is_context(&p.elem),
        Type::Group(g) => is_context(&g.elem),
        _ => false,
    }
}

fn is_shared_context(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => last_ident_is(&r.elem, "Context"),
        _ => false,
    }
}

fn last_ident_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        Type::Group(g) => last_ident_is(&g.elem, name),
        Type::Paren(p) => last_ident_is(&p.elem, name),
        _ => false,
    }
}

enum Problem {
    ImplTrait(TokenStream),
    Borrowed(TokenStream),
}

/// Finds an `impl Trait` or a non-`'static` borrow inside a type.
///
/// Function pointer types and `Fn(..)` sugar are not entered: references
/// there are higher-ranked and fine.
fn type_problem(ty: &Type) -> Option<Problem> {
    match ty {
        Type::ImplTrait(t) => Some(Problem::ImplTrait(t.to_token_stream())),
        Type::Reference(r) => {
            let is_static = r.lifetime.as_ref().is_some_and(|l| l.ident == "static");
            if is_static { type_problem(&r.elem) } else { Some(Problem::Borrowed(r.to_token_stream())) }
        }
        Type::Array(a) => type_problem(&a.elem),
        Type::Slice(s) => type_problem(&s.elem),
        Type::Ptr(p) => type_problem(&p.elem),
        Type::Group(g) => type_problem(&g.elem),
        Type::Paren(p) => type_problem(&p.elem),
        Type::Tuple(t) => t.elems.iter().find_map(type_problem),
        Type::Path(p) => {
            if let Some(q) = &p.qself
                && let Some(problem) = type_problem(&q.ty)
            {
                return Some(problem);
            }
            p.path.segments.iter().find_map(|seg| match &seg.arguments {
                PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
                    GenericArgument::Type(t) => type_problem(t),
                    GenericArgument::Lifetime(l) if l.ident != "static" => Some(Problem::Borrowed(l.to_token_stream())),
                    GenericArgument::AssocType(a) => type_problem(&a.ty),
                    _ => None,
                }),
                _ => None,
            })
        }
        Type::TraitObject(t) => t.bounds.iter().find_map(|b| match b {
            TypeParamBound::Lifetime(l) if l.ident != "static" => Some(Problem::Borrowed(l.to_token_stream())),
            _ => None,
        }),
        _ => None,
    }
}

/// Replaces every `Self` in a type with the actor type: inside the message
/// struct, `Self` would name the struct.
fn replace_self(ty: &Type, self_ty: &Type) -> Type {
    fn walk(tokens: TokenStream, self_ty: &TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .flat_map(|tt| match tt {
                TokenTree::Ident(ident) if ident == "Self" => self_ty.clone(),
                TokenTree::Group(g) => {
                    let mut new = proc_macro2::Group::new(g.delimiter(), walk(g.stream(), self_ty));
                    new.set_span(g.span());
                    TokenTree::Group(new).into_token_stream()
                }
                other => other.into_token_stream(),
            })
            .collect()
    }
    let replaced = walk(ty.to_token_stream(), &self_ty.to_token_stream());
    syn::parse2(replaced).unwrap_or_else(|_| ty.clone())
}

/// Every identifier in the given token streams.
fn idents_in(streams: impl Iterator<Item = TokenStream>) -> Vec<Ident> {
    fn walk(tokens: TokenStream, out: &mut Vec<Ident>) {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) => out.push(i),
                TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for s in streams {
        walk(s, &mut out);
    }
    out
}

/// The widest of the given visibilities, for the extension trait.
fn widest<'a>(visibilities: impl Iterator<Item = &'a Visibility>) -> Visibility {
    fn rank(v: &Visibility) -> u8 {
        match v {
            Visibility::Public(_) => 3,
            Visibility::Restricted(r) if r.path.is_ident("crate") => 2,
            Visibility::Restricted(r) if r.path.is_ident("self") => 0,
            Visibility::Restricted(_) => 1,
            Visibility::Inherited => 0,
        }
    }
    let mut best: Option<&Visibility> = None;
    let mut mixed_restricted = false;
    for v in visibilities {
        match best {
            None => best = Some(v),
            Some(b) if rank(v) > rank(b) => best = Some(v),
            Some(b) if rank(v) == 1 && rank(b) == 1 && !same(v, b) => mixed_restricted = true,
            _ => {}
        }
    }
    match best {
        Some(b) if rank(b) == 1 && mixed_restricted => syn::parse_quote!(pub(crate)),
        Some(b) => strip_span(b),
        None => Visibility::Inherited,
    }
}

fn same(a: &Visibility, b: &Visibility) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}

fn strip_span(v: &Visibility) -> Visibility {
    syn::parse2(v.to_token_stream()).unwrap_or(Visibility::Inherited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_joins_words() {
        assert_eq!(pascal_case("inc"), "Inc");
        assert_eq!(pascal_case("get_total"), "GetTotal");
        assert_eq!(pascal_case("set_v2"), "SetV2");
        assert_eq!(pascal_case("_hidden"), "Hidden");
        assert_eq!(pascal_case("a__b"), "AB");
    }

    #[test]
    fn context_is_detected_however_spelled() {
        assert!(is_context(&syn::parse_quote!(&mut Context<Self>)));
        assert!(is_context(&syn::parse_quote!(&mut ::actor_core::Context<Counter>)));
        assert!(!is_context(&syn::parse_quote!(&Context<Self>)));
        assert!(!is_context(&syn::parse_quote!(Context<Self>)));
    }

    #[test]
    fn type_problems_are_found_nested() {
        assert!(type_problem(&syn::parse_quote!(u64)).is_none());
        assert!(type_problem(&syn::parse_quote!(&'static str)).is_none());
        assert!(type_problem(&syn::parse_quote!(fn(&str) -> usize)).is_none());
        assert!(type_problem(&syn::parse_quote!(Box<dyn Fn(&str) + Send>)).is_none());
        assert!(matches!(type_problem(&syn::parse_quote!(Vec<&str>)), Some(Problem::Borrowed(_))));
        assert!(matches!(type_problem(&syn::parse_quote!(Option<impl Send>)), Some(Problem::ImplTrait(_))));
        assert!(matches!(type_problem(&syn::parse_quote!(std::borrow::Cow<'_, str>)), Some(Problem::Borrowed(_))));
    }

    #[test]
    fn self_is_replaced_by_the_actor_type() {
        let ty = replace_self(&syn::parse_quote!(Vec<Self>), &syn::parse_quote!(Stack<T>));
        assert_eq!(ty.to_token_stream().to_string(), "Vec < Stack < T > >");
    }

    #[test]
    fn widest_visibility_wins() {
        let vs: Vec<Visibility> =
            vec![syn::parse_quote!(), syn::parse_quote!(pub(crate)), syn::parse_quote!(pub(super))];
        assert_eq!(widest(vs.iter()).to_token_stream().to_string(), "pub (crate)");
        let vs: Vec<Visibility> = vec![syn::parse_quote!(pub(super)), syn::parse_quote!(pub)];
        assert_eq!(widest(vs.iter()).to_token_stream().to_string(), "pub");
        let vs: Vec<Visibility> = vec![syn::parse_quote!(pub(super)), syn::parse_quote!(pub(in crate::a))];
        assert_eq!(widest(vs.iter()).to_token_stream().to_string(), "pub (crate)");
    }
}
