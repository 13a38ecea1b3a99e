//! Creates a group type, then lists the groups, through the generated identity client.
//!
//! `IDENTITY_URL=http://localhost:8081 IDENTITY_KEY=<a function key> cargo run -p clients --example identity_groups`

use clients::identity::{Client, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("IDENTITY_URL").unwrap_or_else(|_| "http://localhost:8081".to_owned());
    let key = std::env::var("IDENTITY_KEY").map_err(|_| "set IDENTITY_KEY to a function key")?;
    let identity = Client::with_function_key(&url, &key)?;

    let name = format!("EXAMPLE-{}", std::process::id());
    let created = identity
        .create_group_type()
        .body(types::GroupType::builder().name(name))
        .send()
        .await?;
    println!("created group type {:?} ({})", created.id, *created.name);

    let groups = identity.get_groups().limit(50).send().await?;
    for group in groups.iter() {
        println!("{:?} {} (type {})", group.id, *group.name, group.typeid);
    }
    println!("{} groups", groups.len());
    Ok(())
}
