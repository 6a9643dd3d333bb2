use serde_json::Value;

use crate::helpers::*;

#[actix_web::test]
async fn root_key_lists_its_whole_tree_in_pre_order_and_nothing_else() {
    let app = spawn_app().await;
    let orgs = app.get("/organizations", ROOT).await.data();
    let orgs = items(&orgs);
    assert_eq!(orgs.len(), 7);
    assert_eq!(orgs[0]["display_name"], "Keystone Strategies Group");
    assert_eq!(orgs[0]["parent_org_name"], Value::Null);
    let names: Vec<&str> = orgs
        .iter()
        .map(|o| o["display_name"].as_str().unwrap_or(""))
        .collect();
    // Each committee is followed by its own sub-organizations.
    let delgado = names
        .iter()
        .position(|n| *n == "Friends of Maria Delgado")
        .expect("present");
    assert_eq!(names[delgado + 1], "Delgado for Senate - Digital");
    assert_eq!(names[delgado + 2], "Delgado for Senate - Field Team");
    assert!(
        !names.contains(&"Northstar Civic Fund"),
        "another tree leaked"
    );
    for o in orgs {
        assert!(o["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("org_") && id.len() == 30));
        assert_eq!(o["status"], "active");
        assert!(o["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 24));
    }
}

#[actix_web::test]
async fn child_and_grandchild_keys_see_only_their_subtrees() {
    let app = spawn_app().await;
    let child = app.get("/organizations", CHILD).await.data();
    let names: Vec<&str> = items(&child)
        .iter()
        .map(|o| o["display_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "Friends of Maria Delgado",
            "Delgado for Senate - Digital",
            "Delgado for Senate - Field Team"
        ]
    );
    // The child's own org still names its real parent.
    assert_eq!(
        items(&child)[0]["parent_org_name"],
        "Keystone Strategies Group"
    );
    let grandchild = app.get("/organizations", GRANDCHILD).await.data();
    assert_eq!(items(&grandchild).len(), 1);
}

fn count_nodes(node: &Value) -> usize {
    1 + node["childOrganizations"]
        .as_array()
        .map_or(0, |kids| kids.iter().map(count_nodes).sum())
}

#[actix_web::test]
async fn hierarchy_is_a_camel_case_tree_with_brands_and_campaigns() {
    let app = spawn_app().await;
    let tree = app.get("/hierarchy", ROOT).await.data();
    assert_eq!(tree["name"], "Keystone Strategies Group");
    assert_eq!(tree["parentId"], Value::Null);
    assert_eq!(count_nodes(&tree), 7);
    for field in [
        "contactEmail",
        "contactFirstName",
        "contactLastName",
        "createdAt",
        "updatedAt",
        "brands",
    ] {
        assert!(tree.get(field).is_some(), "missing {field}");
    }
    let delgado = tree["childOrganizations"]
        .as_array()
        .expect("children")
        .iter()
        .find(|n| n["name"] == "Friends of Maria Delgado")
        .expect("delgado");
    assert_eq!(delgado["parentId"], tree["id"]);
    let brand = &delgado["brands"][0];
    assert_eq!(brand["organizationId"], delgado["id"]);
    assert_eq!(brand["campaigns"].as_array().map(Vec::len), Some(3));
    assert!(brand["campaigns"][0]["createdAt"].is_string());
    let grandchildren = delgado["childOrganizations"]
        .as_array()
        .expect("grandchildren");
    assert_eq!(grandchildren.len(), 2);
    assert_eq!(grandchildren[0]["parentId"], delgado["id"]);
}

#[actix_web::test]
async fn hierarchy_filtered_to_a_descendant_starts_there() {
    let app = spawn_app().await;
    let delgado = app.org_of(CHILD).await;
    let tree = app
        .get(&format!("/hierarchy?organizationId={delgado}"), ROOT)
        .await
        .data();
    assert_eq!(tree["id"], delgado);
    assert_eq!(
        tree["parentId"],
        Value::Null,
        "the root of the returned tree has no parent"
    );
    assert_eq!(count_nodes(&tree), 3);
    // A child key cannot look up at its parent.
    let root_org = app.org_of(ROOT).await;
    app.get(&format!("/hierarchy?organizationId={root_org}"), CHILD)
        .await
        .expect_error(403, "ORG_ACCESS_DENIED");
    // The snake_case spelling is refused with a hint rather than silently ignored.
    let body = app
        .get(&format!("/hierarchy?organization_id={delgado}"), ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert!(body["details"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("organizationId"));
}
