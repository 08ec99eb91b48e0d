//! The names the entity detector knows, by OpenCalais entity type. A
//! small, hand-picked list (countries, continents, large cities, US
//! states, programming languages, technologies, companies): enough for
//! blog posts about software, not a world atlas.

/// Entity type names as OpenCalais spells them.
pub const COUNTRY: &str = "Country";
pub const CONTINENT: &str = "Continent";
pub const CITY: &str = "City";
pub const PROVINCE_OR_STATE: &str = "ProvinceOrState";
pub const PROGRAMMING_LANGUAGE: &str = "ProgrammingLanguage";
pub const TECHNOLOGY: &str = "Technology";
pub const COMPANY: &str = "Company";
pub const ORGANIZATION: &str = "Organization";
pub const PERSON: &str = "Person";
pub const URL: &str = "URL";
pub const EMAIL_ADDRESS: &str = "EmailAddress";

#[rustfmt::skip]
pub const COUNTRIES: &[&str] = &[
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Argentina", "Armenia",
    "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain", "Bangladesh", "Barbados",
    "Belarus", "Belgium", "Belize", "Benin", "Bhutan", "Bolivia", "Bosnia and Herzegovina",
    "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso", "Burundi", "Cambodia",
    "Cameroon", "Canada", "Cape Verde", "Chad", "Chile", "China", "Colombia", "Comoros",
    "Congo", "Costa Rica", "Croatia", "Cuba", "Cyprus", "Czech Republic", "Czechia",
    "Denmark", "Djibouti", "Dominican Republic", "Ecuador", "Egypt", "El Salvador",
    "Eritrea", "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland", "France", "Gabon",
    "Gambia", "Georgia", "Germany", "Ghana", "Greece", "Guatemala", "Guinea", "Guyana",
    "Haiti", "Honduras", "Hungary", "Iceland", "India", "Indonesia", "Iran", "Iraq",
    "Ireland", "Israel", "Italy", "Ivory Coast", "Jamaica", "Japan", "Jordan", "Kazakhstan",
    "Kenya", "Kosovo", "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon", "Lesotho",
    "Liberia", "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Madagascar", "Malawi",
    "Malaysia", "Maldives", "Mali", "Malta", "Mauritania", "Mauritius", "Mexico", "Moldova",
    "Monaco", "Mongolia", "Montenegro", "Morocco", "Mozambique", "Myanmar", "Namibia",
    "Nepal", "Netherlands", "New Zealand", "Nicaragua", "Niger", "Nigeria", "North Korea",
    "North Macedonia", "Norway", "Oman", "Pakistan", "Panama", "Papua New Guinea",
    "Paraguay", "Peru", "Philippines", "Poland", "Portugal", "Qatar", "Romania", "Russia",
    "Rwanda", "Saudi Arabia", "Senegal", "Serbia", "Sierra Leone", "Singapore", "Slovakia",
    "Slovenia", "Somalia", "South Africa", "South Korea", "South Sudan", "Spain",
    "Sri Lanka", "Sudan", "Suriname", "Sweden", "Switzerland", "Syria", "Taiwan",
    "Tajikistan", "Tanzania", "Thailand", "Togo", "Trinidad and Tobago", "Tunisia",
    "Turkey", "Turkmenistan", "Uganda", "Ukraine", "United Arab Emirates",
    "United Kingdom", "United States", "United States of America", "Uruguay",
    "Uzbekistan", "Venezuela", "Vietnam", "Yemen", "Zambia", "Zimbabwe", "USA", "UK",
    "England", "Scotland", "Wales",
];

#[rustfmt::skip]
pub const CONTINENTS: &[&str] = &[
    "Africa", "Antarctica", "Asia", "Europe", "North America", "South America", "Oceania",
];

#[rustfmt::skip]
/// Large cities, each with the country it is in.
pub const CITIES: &[(&str, &str)] = &[
    ("Amsterdam", "Netherlands"), ("Athens", "Greece"), ("Bangkok", "Thailand"),
    ("Barcelona", "Spain"), ("Beijing", "China"), ("Berlin", "Germany"),
    ("Boston", "United States"), ("Brussels", "Belgium"), ("Budapest", "Hungary"),
    ("Buenos Aires", "Argentina"), ("Cairo", "Egypt"), ("Cape Town", "South Africa"),
    ("Chicago", "United States"), ("Copenhagen", "Denmark"), ("Delhi", "India"),
    ("Dubai", "United Arab Emirates"), ("Dublin", "Ireland"), ("Edinburgh", "United Kingdom"),
    ("Helsinki", "Finland"), ("Hong Kong", "China"), ("Istanbul", "Turkey"),
    ("Jakarta", "Indonesia"), ("Johannesburg", "South Africa"), ("Kyoto", "Japan"),
    ("Lagos", "Nigeria"), ("Lisbon", "Portugal"), ("London", "United Kingdom"),
    ("Los Angeles", "United States"), ("Madrid", "Spain"), ("Manchester", "United Kingdom"),
    ("Matsue", "Japan"), ("Melbourne", "Australia"), ("Mexico City", "Mexico"),
    ("Miami", "United States"), ("Milan", "Italy"), ("Montreal", "Canada"),
    ("Moscow", "Russia"), ("Mumbai", "India"), ("Munich", "Germany"), ("Nairobi", "Kenya"),
    ("New York", "United States"), ("New York City", "United States"), ("Osaka", "Japan"),
    ("Oslo", "Norway"), ("Paris", "France"), ("Prague", "Czech Republic"),
    ("Rio de Janeiro", "Brazil"), ("Rome", "Italy"), ("San Francisco", "United States"),
    ("Seattle", "United States"), ("Seoul", "South Korea"), ("Shanghai", "China"),
    ("Singapore", "Singapore"), ("Stockholm", "Sweden"), ("Sydney", "Australia"),
    ("Tokyo", "Japan"), ("Toronto", "Canada"), ("Vancouver", "Canada"), ("Vienna", "Austria"),
    ("Warsaw", "Poland"), ("Washington", "United States"), ("Zurich", "Switzerland"),
];

#[rustfmt::skip]
pub const US_STATES: &[&str] = &[
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota",
    "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire",
    "New Jersey", "New Mexico", "North Carolina", "North Dakota", "Ohio", "Oklahoma",
    "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee",
    "Texas", "Utah", "Vermont", "Virginia", "West Virginia", "Wisconsin", "Wyoming",
];

#[rustfmt::skip]
pub const PROGRAMMING_LANGUAGES: &[&str] = &[
    "Ruby", "Python", "Java", "JavaScript", "TypeScript", "Rust", "Golang", "C++", "C#",
    "PHP", "Perl", "Haskell", "Elixir", "Erlang", "Scala", "Kotlin", "Clojure", "Lisp",
    "Smalltalk", "Objective-C", "Fortran", "COBOL", "Lua", "OCaml", "CoffeeScript", "SQL", "Bash", "Dart", "Zig", "Pascal",
];

#[rustfmt::skip]
pub const TECHNOLOGIES: &[&str] = &[
    "Ruby on Rails", "Rails", "Sinatra", "Django", "Flask", "Laravel",
    "React", "Angular", "Vue.js", "Node.js", "jQuery", "Sidekiq", "Resque",
    "Redis", "PostgreSQL", "MySQL", "SQLite", "MongoDB", "Memcached", "Elasticsearch",
    "Kafka", "RabbitMQ", "Docker", "Kubernetes", "Vagrant", "Linux", "Unix", "Heroku",
    "Nginx", "Apache", "Git", "MVC", "REST", "GraphQL", "JSON", "XML", "HTML", "CSS",
    "HTTP", "SMTP", "WebSocket", "Actix", "Tokio", "Capistrano", "RubyGems", "Bundler",
    "ActiveRecord", "Active Job",
];

#[rustfmt::skip]
pub const COMPANIES: &[&str] = &[
    "Google", "Apple", "Microsoft", "Amazon", "Facebook", "Netflix", "Twitter",
    "GitHub", "GitLab", "Shopify", "Basecamp", "37signals", "Stripe", "IBM", "Intel",
    "Oracle", "Red Hat", "Mozilla", "Salesforce", "Airbnb", "Uber", "Slack", "Thomson Reuters",
    "Refinitiv", "Engine Yard", "DigitalOcean", "Cloudflare", "Sun Microsystems", "Toyota",
    "Sony", "Samsung", "Nintendo",
];

#[rustfmt::skip]
/// Words that, as the last word of a capitalized name, make it a company.
pub const COMPANY_SUFFIXES: &[&str] = &[
    "Inc", "Inc.", "Corp", "Corp.", "Corporation", "Ltd", "Ltd.", "LLC", "GmbH", "AG", "SA",
    "plc", "Co.", "Company", "Technologies", "Labs", "Systems", "Software",
];

#[rustfmt::skip]
/// Words that, as the last word of a capitalized name, make it an organization.
pub const ORGANIZATION_SUFFIXES: &[&str] = &[
    "Foundation", "University", "Institute", "Association", "Society", "Council",
    "Committee", "Agency", "Ministry", "Department", "Consortium", "Group", "Team", "Bank",
];

#[rustfmt::skip]
/// Titles before a person's name.
pub const PERSON_TITLES: &[&str] = &[
    "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Prof", "Prof.", "Sir", "Dame",
];

/// Words after which a capitalized name is a person ("invented by Matz").
pub const PERSON_CUES_BEFORE: &[&str] = &["by", "said", "says", "according to", "told"];

/// Words before which a capitalized name is a person ("Matz said").
pub const PERSON_CUES_AFTER: &[&str] = &["said", "says", "wrote", "explained", "told"];
