//! The route registry: a route is added together with its operation (method, path, summary,
//! parameters with their exact casing, request and success schemas, the error codes it answers),
//! so no route can exist without its entry in the OpenAPI document, and the document can never
//! describe a route that is not served. `configure` functions of `api/` and `control/` fill a
//! [`Routes`]; the app mounts it, and the OpenAPI and Postman builders read the same list.
//!
//! Handlers are still plain actix handlers; the registry only decides where they are mounted and
//! what is said about them. Paths that share a resource answer other methods with a 405 whose
//! `Allow` lists exactly the registered ones.

use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use crate::error::{ApiError, Code};
use crate::store::World;

/// Produces a JSON Schema into a generator (so shared types become components).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`, as a [`SchemaFn`].
pub fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What examples are made from: the seeded world and where the sandbox is reached.
pub struct ExampleContext<'a> {
    pub world: &'a World,
    /// `http://host:port` of the sandbox (a `{{origin}}` variable in the Postman collection).
    pub origin: &'a str,
}

/// Makes an example value (a path parameter or a body) from the seeded world.
pub type ExampleFn = fn(&ExampleContext) -> Option<Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The lowercase spelling OpenAPI uses for path-item keys.
    pub fn lower(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn route(self) -> actix_web::Route {
        match self {
            Method::Get => web::get(),
            Method::Post => web::post(),
            Method::Put => web::put(),
            Method::Patch => web::patch(),
            Method::Delete => web::delete(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    Path,
    Query,
}

/// One path or query parameter, spelled exactly as the endpoint takes it.
pub struct Param {
    pub name: &'static str,
    pub location: ParamIn,
    pub required: bool,
    pub description: &'static str,
    pub schema: SchemaFn,
    pub example: Option<ExampleFn>,
}

/// What a success answer carries.
pub enum Payload {
    /// `{"success": true, "data": <schema>}`.
    Json(SchemaFn),
    /// A file with this content type (CSV downloads, hosted files, media bytes).
    File(&'static str),
    /// A redirect or an empty body.
    Empty,
}

/// Everything said about one route.
pub struct Operation {
    pub method: Method,
    /// Relative to the surface's base (`/contact-lists/{id}`).
    pub path: String,
    /// `operationId`: unique, camelCase.
    pub id: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub tag: &'static str,
    pub params: Vec<Param>,
    /// A JSON request body, and whether it may be omitted.
    pub request: Option<(SchemaFn, bool)>,
    /// A raw request body of this content type (hosted-file uploads).
    pub raw_request: Option<&'static str>,
    pub request_example: Option<ExampleFn>,
    /// The success status and payload; `None` for operations that only ever refuse (email).
    pub success: Option<(u16, Payload)>,
    /// Other success answers the operation gives in some states (analyze: 200 when nothing is
    /// left to do).
    pub other_successes: Vec<(u16, Payload, &'static str)>,
    /// The documented refusals of this operation (the gate's and the parser's are added by the
    /// document builder for every operation of the API surface).
    pub errors: Vec<Code>,
    /// Served without an API key (the OpenAPI document itself).
    pub public: bool,
    /// A larger request-body limit than the app's default (hosted-file uploads).
    pub body_limit: Option<usize>,
}

impl Operation {
    fn new(method: Method, path: &str, tag: &'static str) -> Operation {
        Operation {
            method,
            path: path.to_string(),
            id: "",
            summary: "",
            description: "",
            tag,
            params: Vec::new(),
            request: None,
            raw_request: None,
            request_example: None,
            success: None,
            other_successes: Vec::new(),
            errors: Vec::new(),
            public: false,
            body_limit: None,
        }
    }

    /// Its `operationId` and one-line summary.
    pub fn op(&mut self, id: &'static str, summary: &'static str) -> &mut Self {
        self.id = id;
        self.summary = summary;
        self
    }

    pub fn describe(&mut self, description: &'static str) -> &mut Self {
        self.description = description;
        self
    }

    /// A path parameter (every `{name}` of the path needs one), with an example from the world.
    pub fn path_param(
        &mut self,
        name: &'static str,
        description: &'static str,
        example: ExampleFn,
    ) -> &mut Self {
        self.params.push(Param {
            name,
            location: ParamIn::Path,
            required: true,
            description,
            schema: schema_of::<String>,
            example: Some(example),
        });
        self
    }

    /// An optional query parameter of type `T`.
    pub fn query<T: JsonSchema>(
        &mut self,
        name: &'static str,
        description: &'static str,
    ) -> &mut Self {
        self.params.push(Param {
            name,
            location: ParamIn::Query,
            required: false,
            description,
            schema: schema_of::<T>,
            example: None,
        });
        self
    }

    /// A required query parameter of type `T`, with an example.
    pub fn required_query<T: JsonSchema>(
        &mut self,
        name: &'static str,
        description: &'static str,
        example: ExampleFn,
    ) -> &mut Self {
        self.params.push(Param {
            name,
            location: ParamIn::Query,
            required: true,
            description,
            schema: schema_of::<T>,
            example: Some(example),
        });
        self
    }

    /// A JSON request body of type `T` (required) with a working example.
    pub fn body<T: JsonSchema>(&mut self, example: ExampleFn) -> &mut Self {
        self.request = Some((schema_of::<T>, true));
        self.request_example = Some(example);
        self
    }

    /// A JSON request body that may be omitted (every field optional).
    pub fn optional_body<T: JsonSchema>(&mut self, example: ExampleFn) -> &mut Self {
        self.request = Some((schema_of::<T>, false));
        self.request_example = Some(example);
        self
    }

    /// A raw request body of `content_type`.
    pub fn raw_body(&mut self, content_type: &'static str) -> &mut Self {
        self.raw_request = Some(content_type);
        self
    }

    /// Success: `status` with `{"success": true, "data": T}`.
    pub fn answers<T: JsonSchema>(&mut self, status: u16) -> &mut Self {
        self.success = Some((status, Payload::Json(schema_of::<T>)));
        self
    }

    /// Success: 200 with `{"success": true, "data": T}`.
    pub fn ok<T: JsonSchema>(&mut self) -> &mut Self {
        self.answers::<T>(200)
    }

    /// Another success answer, given `when`.
    pub fn also_answers<T: JsonSchema>(&mut self, status: u16, when: &'static str) -> &mut Self {
        self.other_successes
            .push((status, Payload::Json(schema_of::<T>), when));
        self
    }

    /// Success: `status` with a file of `content_type`.
    pub fn file(&mut self, status: u16, content_type: &'static str) -> &mut Self {
        self.success = Some((status, Payload::File(content_type)));
        self
    }

    /// Success: `status` with no body worth describing (a redirect).
    pub fn empty(&mut self, status: u16) -> &mut Self {
        self.success = Some((status, Payload::Empty));
        self
    }

    /// The operation's own refusals.
    pub fn errors(&mut self, codes: &[Code]) -> &mut Self {
        self.errors.extend_from_slice(codes);
        self
    }

    /// Accepts request bodies up to `bytes` (instead of the app's default).
    pub fn body_limit(&mut self, bytes: usize) -> &mut Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Served without an API key.
    pub fn public(&mut self) -> &mut Self {
        self.public = true;
        self
    }

    /// The path with its parameters filled from `ctx` (a `{name}` without an example stays as
    /// it is), plus the required query parameters: a request that works on a fresh sandbox.
    pub fn example_uri(&self, ctx: &ExampleContext) -> String {
        let mut path = self.path.clone();
        let mut query = Vec::new();
        for p in &self.params {
            let value = p.example.and_then(|f| f(ctx)).map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            });
            match (p.location, value) {
                (ParamIn::Path, Some(v)) => path = path.replace(&format!("{{{}}}", p.name), &v),
                (ParamIn::Query, Some(v)) if p.required => query.push(format!("{}={v}", p.name)),
                _ => {}
            }
        }
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        }
    }

    /// The `{name}` segments of the path, in order.
    pub fn path_names(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect()
    }
}

/// Attaches the operation's handler to a route of the given method (called twice for GET: HEAD
/// answers as GET does, without the body).
type Mount = Box<dyn Fn(actix_web::Route) -> actix_web::Route>;

/// `routes.get(path, handler)` and its siblings: [`Routes::add`] with the method named.
macro_rules! method_shortcuts {
    ($($name:ident => $method:ident),+) => {
        $(
            pub fn $name<F, Args>(&mut self, path: &str, handler: F) -> &mut Operation
            where
                F: Handler<Args> + Clone + 'static,
                Args: FromRequest + 'static,
                F::Output: Responder + 'static,
            {
                self.add(Method::$method, path, handler)
            }
        )+
    };
}

/// The routes of one surface (the API or the control plane) with their operations.
#[derive(Default)]
pub struct Routes {
    tag: &'static str,
    entries: Vec<(Operation, Option<Mount>)>,
}

impl Routes {
    /// Operations added from now on are grouped under `tag` (a resource's folder and section).
    pub fn tag(&mut self, tag: &'static str) -> &mut Self {
        self.tag = tag;
        self
    }

    /// Registers `handler` for `method path` and returns its operation to describe.
    pub fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Operation
    where
        F: Handler<Args> + Clone + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let mount: Mount = Box::new(move |route| route.to(handler.clone()));
        self.entries
            .push((Operation::new(method, path, self.tag), Some(mount)));
        let last = self.entries.len() - 1;
        &mut self.entries[last].0
    }

    method_shortcuts!(get => Get, post => Post, put => Put, patch => Patch, delete => Delete);

    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.entries.iter().map(|(op, _)| op)
    }

    /// The operations, without their handlers (what the document builders read).
    pub fn into_operations(self) -> Vec<Operation> {
        self.entries.into_iter().map(|(op, _)| op).collect()
    }

    /// Splits off the public operations (served without a key, outside the gate) from the rest.
    pub fn split_public(self) -> (Routes, Routes) {
        let (public, gated) = self.entries.into_iter().partition(|(op, _)| op.public);
        (
            Routes {
                tag: self.tag,
                entries: public,
            },
            Routes {
                tag: self.tag,
                entries: gated,
            },
        )
    }

    /// Mounts every route on `cfg`: one resource per path, in registration order, answering
    /// other methods with a 405 and the `Allow` of the registered ones.
    pub fn mount(self, cfg: &mut web::ServiceConfig) {
        self.mount_under("", cfg)
    }

    /// [`Routes::mount`] with `prefix` before every path (public routes mounted at the app's
    /// level, ahead of the gated scope).
    pub fn mount_under(self, prefix: &str, cfg: &mut web::ServiceConfig) {
        type PathRoutes = (String, Option<usize>, Vec<(Method, Mount)>);
        let mut paths: Vec<PathRoutes> = Vec::new();
        for (op, mount) in self.entries {
            let Some(mount) = mount else { continue };
            match paths.iter_mut().find(|(p, _, _)| *p == op.path) {
                Some((_, limit, routes)) => {
                    *limit = (*limit).max(op.body_limit);
                    routes.push((op.method, mount));
                }
                None => paths.push((op.path.clone(), op.body_limit, vec![(op.method, mount)])),
            }
        }
        for (path, limit, routes) in paths {
            let mut allow: Vec<&str> = routes.iter().map(|(m, _)| m.as_str()).collect();
            if routes.iter().any(|(m, _)| *m == Method::Get) {
                allow.push("HEAD");
            }
            let mut resource = resource(&format!("{prefix}{path}"), allow.join(", "));
            if let Some(limit) = limit {
                resource = resource.app_data(web::PayloadConfig::new(limit));
            }
            for (method, mount) in routes {
                if method == Method::Get {
                    resource = resource.route(mount(web::head()));
                }
                resource = resource.route(mount(method.route()));
            }
            cfg.service(resource);
        }
    }
}

/// One `'static` copy of each distinct `Allow` value: the app factory runs once per worker (and
/// per test server), so leaking a copy each time would grow without bound.
fn intern(value: String) -> &'static str {
    static SEEN: std::sync::OnceLock<parking_lot::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::OnceLock::new();
    let mut seen = SEEN.get_or_init(Default::default).lock();
    if let Some(v) = seen.get(value.as_str()) {
        return v;
    }
    let leaked: &'static str = Box::leak(value.into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// A resource at `path` whose unsupported methods answer 405 with `Allow: <allow>`.
fn resource(path: &str, allow: String) -> actix_web::Resource {
    let allow = intern(allow);
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        })
    }))
}
