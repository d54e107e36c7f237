//! Parsing: turn the macro input into plain data, keeping every span.
//!
//! Nothing here decides whether the input is acceptable; that is
//! [`crate::valid`]'s job. Parsing only fails outright when the input is
//! not an item at all. Malformed attribute arguments are kept as errors
//! beside the parsed data so that validation can report them together with
//! everything else.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, DeriveInput, Expr, Generics, Ident, ImplItem, ImplItemFn, ItemImpl, Path, Token};

// ---------------------------------------------------------------------------
// #[derive(Actor)]
// ---------------------------------------------------------------------------

/// The parsed input of `#[derive(Actor)]`.
pub(crate) struct ActorInput {
    pub(crate) ident: Ident,
    pub(crate) generics: Generics,
    /// The `union` keyword's span if the input is a union (which cannot be
    /// an actor); `None` for a struct or an enum.
    pub(crate) union_token: Option<Span>,
    /// Every `key = value` (or bare `key`) found in `#[actor(...)]`
    /// attributes, in source order, across all such attributes.
    pub(crate) options: Vec<ActorOption>,
    /// Attributes whose arguments did not parse.
    pub(crate) errors: Vec<syn::Error>,
}

/// One option of `#[actor(...)]`: `mailbox = 256`, `name = "cache"`, or a
/// bare key (which validation rejects).
pub(crate) struct ActorOption {
    pub(crate) key: Ident,
    pub(crate) value: Option<Expr>,
}

impl Parse for ActorOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse::<Expr>()?)
        } else {
            None
        };
        Ok(Self { key, value })
    }
}

impl ActorInput {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let input: DeriveInput = syn::parse2(tokens)?;
        let union_token = match &input.data {
            syn::Data::Union(u) => Some(u.union_token.span),
            syn::Data::Struct(_) | syn::Data::Enum(_) => None,
        };
        let mut options = Vec::new();
        let mut errors = Vec::new();
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("actor")) {
            let parsed = match &attr.meta {
                syn::Meta::List(list) => list.parse_args_with(Punctuated::<ActorOption, Token![,]>::parse_terminated),
                other => Err(syn::Error::new_spanned(other, "expected `#[actor(mailbox = N, name = \"...\")]`")),
            };
            match parsed {
                Ok(list) => options.extend(list),
                Err(e) => errors.push(e),
            }
        }
        Ok(Self { ident: input.ident, generics: input.generics, union_token, options, errors })
    }
}

// ---------------------------------------------------------------------------
// #[messages]
// ---------------------------------------------------------------------------

/// The parsed input of `#[messages]`.
pub(crate) struct MessagesInput {
    /// The impl block with every `#[message(...)]` attribute removed; this
    /// is what the macro emits in place of its input.
    pub(crate) item: ItemImpl,
    /// One entry per `fn` of the block, in source order.
    pub(crate) methods: Vec<MethodInput>,
}

/// One `fn` of a `#[messages]` block.
pub(crate) struct MethodInput {
    /// The method as written, minus its `#[message(...)]` attributes.
    pub(crate) func: ImplItemFn,
    /// The `#[message(...)]` attributes that were stripped from it.
    pub(crate) message_attrs: Vec<Attribute>,
}

impl MessagesInput {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let mut item: ItemImpl = syn::parse2(tokens)?;
        let mut methods = Vec::new();
        for impl_item in &mut item.items {
            if let ImplItem::Fn(func) = impl_item {
                let (message_attrs, rest): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut func.attrs).into_iter().partition(|a| a.path().is_ident("message"));
                func.attrs = rest;
                methods.push(MethodInput { func: func.clone(), message_attrs });
            }
        }
        Ok(Self { item, methods })
    }
}

/// The options of one `#[message(...)]` attribute.
pub(crate) enum MessageOption {
    /// `derive(Debug, Clone)`.
    Derive(Vec<Path>),
    /// Anything else, kept for a spanned error.
    Unknown(Ident),
}

impl Parse for MessageOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        if key == "derive" {
            let content;
            syn::parenthesized!(content in input);
            let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
            Ok(Self::Derive(paths.into_iter().collect()))
        } else {
            // Skip whatever follows the unknown key up to the next comma so
            // that the remaining options are still checked.
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<proc_macro2::TokenTree>()?;
            }
            Ok(Self::Unknown(key))
        }
    }
}

/// Parses the arguments of a `#[message(...)]` attribute.
pub(crate) fn parse_message_attr(attr: &Attribute) -> syn::Result<Vec<MessageOption>> {
    match &attr.meta {
        syn::Meta::List(list) => list
            .parse_args_with(Punctuated::<MessageOption, Token![,]>::parse_terminated)
            .map(|p| p.into_iter().collect()),
        syn::Meta::Path(path) => Err(syn::Error::new(
            path.span(),
            "`#[message]` without options does nothing; write `#[message(derive(Debug))]` or remove it",
        )),
        syn::Meta::NameValue(nv) => Err(syn::Error::new_spanned(nv, "expected `#[message(derive(...))]`")),
    }
}
