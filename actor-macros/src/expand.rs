//! Code generation from a validated model.
//!
//! Every path into the runtime goes through `::actor_core::__private`, so
//! the output compiles wherever `actor_core` is a dependency (and inside
//! `actor-core` itself, which declares `extern crate self as actor_core`),
//! whatever the user has imported. Every impl carries
//! `#[automatically_derived]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{GenericParam, Generics, LitStr, WherePredicate};

use crate::ast::{ActorInput, MessagesInput};
use crate::valid::{ActorModel, CallArg, Message, MessagesModel};

// ---------------------------------------------------------------------------
// #[derive(Actor)]
// ---------------------------------------------------------------------------

pub(crate) fn actor(model: &ActorModel<'_>) -> TokenStream {
    let input = model.input;
    let ident = &input.ident;
    let generics = with_send_static(&input.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mailbox = model
        .mailbox
        .as_ref()
        .map(|n| quote!(const MAILBOX: usize = #n;));
    let name = model
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&ident.unraw().to_string(), ident.span()));
    quote! {
        #[automatically_derived]
        impl #impl_generics ::actor_core::__private::Actor for #ident #ty_generics #where_clause {
            #mailbox
            fn name() -> &'static str {
                #name
            }
        }
    }
}

/// A plain `impl Actor for T {}`, emitted beside the errors of an invalid
/// input so that uses of `T` as an actor do not add errors of their own.
pub(crate) fn actor_fallback(input: &ActorInput) -> TokenStream {
    let ident = &input.ident;
    let mut generics = with_send_static(&input.generics);
    let lifetimes: Vec<_> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    let where_clause = generics.make_where_clause();
    for lifetime in lifetimes {
        where_clause
            .predicates
            .push(syn::parse_quote!(#lifetime: 'static));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::actor_core::__private::Actor for #ident #ty_generics #where_clause {}
    }
}

/// The generics with `T: Send + 'static` added for every type parameter:
/// what `Actor` and `Handler` need of them.
fn with_send_static(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    let predicates: Vec<WherePredicate> = generics
        .type_params()
        .map(|t| {
            let ident = &t.ident;
            syn::parse_quote!(#ident: ::core::marker::Send + 'static)
        })
        .collect();
    if !predicates.is_empty() {
        generics.make_where_clause().predicates.extend(predicates);
    }
    generics
}

// ---------------------------------------------------------------------------
// #[messages]
// ---------------------------------------------------------------------------

pub(crate) fn messages(input: &MessagesInput, model: Option<&MessagesModel>) -> TokenStream {
    let item = &input.item;
    let Some(model) = model else {
        return quote!(#item);
    };
    if model.messages.is_empty() {
        return quote!(#item);
    }
    let structs = model.messages.iter().map(|m| message_struct(model, m));
    let handlers = model.messages.iter().map(|m| handler(model, m));
    let client = client_trait(model);
    quote! {
        #item
        #(#structs)*
        #(#handlers)*
        #client
    }
}

/// The message type as used in paths: `Inc`, `Push<T>`.
fn message_ty(message: &Message) -> TokenStream {
    let ident = &message.ident;
    if message.struct_params.is_empty() {
        return quote!(#ident);
    }
    let args = message.struct_params.iter().map(|p| match p {
        GenericParam::Type(t) => {
            let i = &t.ident;
            quote!(#i)
        }
        GenericParam::Const(c) => {
            let i = &c.ident;
            quote!(#i)
        }
        GenericParam::Lifetime(l) => {
            let l = &l.lifetime;
            quote!(#l)
        }
    });
    quote!(#ident<#(#args),*>)
}

fn self_name(model: &MessagesModel) -> String {
    let ty = &model.self_ty;
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.unraw().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn message_struct(model: &MessagesModel, message: &Message) -> TokenStream {
    let Message {
        ident,
        vis,
        docs,
        cfgs,
        derives,
        fields,
        struct_params,
        method,
        ..
    } = message;
    let actor = self_name(model);
    let method_name = method.unraw().to_string();
    let docs = if docs.is_empty() {
        let text = format!(" The message of `{actor}::{method_name}`, generated by `#[messages]`.");
        quote!(#[doc = #text])
    } else {
        quote!(#(#docs)*)
    };
    let derive = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));
    let params = (!struct_params.is_empty()).then(|| quote!(<#(#struct_params),*>));
    let fields = fields.iter().map(|(name, ty)| {
        let text = format!(" Argument `{}` of `{actor}::{method_name}`.", name.unraw());
        quote! {
            #[doc = #text]
            #vis #name: #ty,
        }
    });
    quote! {
        #(#cfgs)*
        #docs
        #derive
        #vis struct #ident #params {
            #(#fields)*
        }
    }
}

fn handler(model: &MessagesModel, message: &Message) -> TokenStream {
    let self_ty = &model.self_ty;
    let generics = with_send_static(&model.generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let msg_ty = message_ty(message);
    let reply = &message.reply;
    let method = &message.method;
    let cfgs = &message.cfgs;
    let uses_ctx = message.args.iter().any(|a| matches!(a, CallArg::Context));
    let msg = if message.fields.is_empty() {
        format_ident!("_msg")
    } else {
        format_ident!("msg")
    };
    let ctx = if uses_ctx {
        format_ident!("ctx")
    } else {
        format_ident!("_ctx")
    };
    let args = message.args.iter().map(|a| match a {
        CallArg::Field(field) => quote!(#msg.#field),
        CallArg::Context => quote!(#ctx),
    });
    quote! {
        #(#cfgs)*
        #[automatically_derived]
        impl #impl_generics ::actor_core::__private::Handler<#msg_ty> for #self_ty #where_clause {
            type Reply = #reply;

            async fn handle(
                &mut self,
                #msg: #msg_ty,
                #ctx: &mut ::actor_core::__private::Context<Self>,
            ) -> Self::Reply {
                <#self_ty>::#method(self #(, #args)*).await
            }
        }
    }
}

fn client_trait(model: &MessagesModel) -> TokenStream {
    let self_ty = &model.self_ty;
    let trait_ident = &model.trait_ident;
    let vis = &model.trait_vis;
    let generics = with_send_static(&model.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let actor = self_name(model);

    let decls = model.messages.iter().map(|m| {
        let method = &m.method;
        let msg_ty = message_ty(m);
        let cfgs = &m.cfgs;
        let docs = &m.docs;
        let params = m.fields.iter().map(|(name, ty)| quote!(#name: #ty));
        let how = format!(
            " Builds the `{}` message: `.await` asks and yields the reply, \
             `.tell().await` sends without waiting for a reply, \
             `.timeout(d).await` asks with a deadline.",
            m.ident
        );
        let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
        quote! {
            #(#cfgs)*
            #(#docs)*
            #separator
            #[doc = #how]
            fn #method(&self #(, #params)*)
                -> ::actor_core::__private::MessageCall<'_, #self_ty, #msg_ty>;
        }
    });
    let defs = model.messages.iter().map(|m| {
        let method = &m.method;
        let ident = &m.ident;
        let msg_ty = message_ty(m);
        let cfgs = &m.cfgs;
        let params = m.fields.iter().map(|(name, ty)| quote!(#name: #ty));
        let names = m.fields.iter().map(|(name, _)| name);
        quote! {
            #(#cfgs)*
            fn #method(&self #(, #params)*)
                -> ::actor_core::__private::MessageCall<'_, #self_ty, #msg_ty>
            {
                ::actor_core::__private::MessageCall::new(self, #ident { #(#names),* })
            }
        }
    });
    let doc = format!(
        " Typed client methods on `ActorRef<{actor}>`, one per message of its \
         `#[messages]` block; generated by `#[messages]`."
    );
    quote! {
        #[doc = #doc]
        #[allow(private_interfaces, private_bounds)]
        #vis trait #trait_ident #impl_generics #where_clause {
            #(#decls)*
        }

        #[automatically_derived]
        impl #impl_generics #trait_ident #ty_generics
            for ::actor_core::__private::ActorRef<#self_ty> #where_clause
        {
            #(#defs)*
        }
    }
}
