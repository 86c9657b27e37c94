// Name, nickname and postcode tables for the synthetic data generator (see tables.hpp). Written
// for bloomlink; not taken from any published list. Names with accents use characters that
// decompose under Unicode NFKD (so accent removal maps them to ASCII letters).

#include "synth/tables.hpp"

namespace bloomlink::synth_internal {
namespace {

// ---------------------------------------------------------------------------------------------
// General given names, by era of birth.

constexpr std::string_view kFemaleBefore1950[] = {
    "Margaret",  "Mary",      "Joan",     "Dorothy",    "Jean",     "Patricia",  "Betty",
    "Doris",     "Kathleen",  "Joyce",    "Elizabeth",  "Irene",    "Eileen",    "Barbara",
    "Sheila",    "Audrey",    "Brenda",   "Sylvia",     "Pamela",   "Maureen",   "Valerie",
    "Shirley",   "June",      "Marjorie", "Edna",       "Vera",     "Iris",      "Hilda",
    "Winifred",  "Gladys",    "Florence", "Ethel",      "Elsie",    "Ivy",       "Lilian",
    "Evelyn",    "Phyllis",   "Olive",    "Muriel",     "Violet",   "Annie",     "Beryl",
    "Rita",      "Hazel",     "Marion",   "Freda",      "Ellen",    "Edith",     "Alice",
    "Nora",      "Constance", "Mabel",    "Gwendoline", "Enid",     "Rose",      "Agnes",
    "Grace",     "Lily",      "Emily",    "Ada",        "Nellie",   "Josephine", "Esther",
    "Ruby",      "Eva",       "Mavis",    "Norma",      "Rosemary", "Anne",      "Janet",
    "Catherine", "Frances",   "Bridget",  "Marie",      "Joy",      "Daphne",    "Thelma",
};

constexpr std::string_view kMaleBefore1950[] = {
    "John",      "William", "George",   "Thomas", "James",   "Arthur",  "Frederick", "Albert",
    "Charles",   "Robert",  "Kenneth",  "Ronald", "Dennis",  "Harold",  "Leslie",    "Stanley",
    "Alfred",    "Ernest",  "Walter",   "Frank",  "Sidney",  "Eric",    "Donald",    "Roy",
    "Norman",    "Raymond", "Peter",    "Derek",  "Gordon",  "Douglas", "Cyril",     "Herbert",
    "Reginald",  "Henry",   "Jack",     "Joseph", "Edward",  "Leonard", "Geoffrey",  "Brian",
    "Alan",      "Bernard", "Harry",    "Percy",  "Wilfred", "Victor",  "Clifford",  "Horace",
    "Maurice",   "Gerald",  "Colin",    "Keith",  "Michael", "David",   "Anthony",   "Terence",
    "Archibald", "Hugh",    "Lawrence", "Edwin",  "Francis", "Cecil",   "Ralph",     "Samuel",
    "Richard",   "Patrick", "Gilbert",  "Roland", "Ivor",    "Lionel",
};

constexpr std::string_view kFemale1950To1979[] = {
    "Susan",    "Linda",    "Christine",  "Karen",    "Julie",     "Elizabeth", "Sarah",
    "Deborah",  "Alison",   "Jacqueline", "Janet",    "Carol",     "Helen",     "Gillian",
    "Lesley",   "Tracey",   "Wendy",      "Amanda",   "Claire",    "Angela",    "Lisa",
    "Nicola",   "Joanne",   "Michelle",   "Jane",     "Catherine", "Sharon",    "Diane",
    "Lorraine", "Dawn",     "Kim",        "Paula",    "Tina",      "Sandra",    "Denise",
    "Anne",     "Ruth",     "Fiona",      "Ann",      "Kathryn",   "Sally",     "Beverley",
    "Andrea",   "Caroline", "Debra",      "Elaine",   "Teresa",    "Maria",     "Rachel",
    "Emma",     "Louise",   "Kerry",      "Samantha", "Donna",     "Julia",     "Katherine",
    "Heather",  "Jennifer", "Yvonne",     "Melanie",  "Joanna",    "Victoria",  "Hayley",
    "Tracy",    "Lynn",     "Marie",      "Jill",     "Penelope",  "Vanessa",   "Rebecca",
    "Suzanne",  "Mandy",    "Bernadette", "Theresa",  "Maxine",    "Sonia",     "Pauline",
};

constexpr std::string_view kMale1950To1979[] = {
    "David",    "Paul",     "Andrew",   "Mark",     "John",    "Michael", "Stephen",     "Peter",
    "Robert",   "Richard",  "Ian",      "Gary",     "Steven",  "Kevin",   "Christopher", "Anthony",
    "Martin",   "Philip",   "Simon",    "Nigel",    "Neil",    "Graham",  "Alan",        "Keith",
    "Colin",    "Trevor",   "Darren",   "Jason",    "Lee",     "Wayne",   "Dean",        "Craig",
    "Stuart",   "Jonathan", "Timothy",  "Nicholas", "Carl",    "Shaun",   "Barry",       "Terence",
    "Malcolm",  "Roger",    "Adrian",   "Russell",  "Jeremy",  "Julian",  "Duncan",      "Gareth",
    "Alistair", "Kenneth",  "Matthew",  "James",    "William", "Thomas",  "Daniel",      "Glenn",
    "Clive",    "Dominic",  "Vincent",  "Brian",    "Derek",   "Raymond", "Gavin",       "Jeffrey",
    "Geoffrey", "Howard",   "Lawrence", "Patrick",  "Francis", "Robin",
};

constexpr std::string_view kFemale1980To2004[] = {
    "Sarah",     "Laura",  "Emma",      "Rebecca",  "Gemma",    "Hannah",   "Amy",       "Jessica",
    "Charlotte", "Lauren", "Sophie",    "Katie",    "Stacey",   "Natalie",  "Kirsty",    "Danielle",
    "Zoe",       "Hayley", "Jade",      "Chloe",    "Samantha", "Jennifer", "Victoria",  "Rachel",
    "Leanne",    "Kelly",  "Holly",     "Georgia",  "Megan",    "Bethany",  "Ellie",     "Abigail",
    "Lucy",      "Amber",  "Jodie",     "Shannon",  "Rachael",  "Kayleigh", "Stephanie", "Naomi",
    "Eleanor",   "Olivia", "Emily",     "Grace",    "Alice",    "Caitlin",  "Courtney",  "Jasmine",
    "Paige",     "Rosie",  "Nicole",    "Michelle", "Louise",   "Claire",   "Katherine", "Joanne",
    "Charlene",  "Carly",  "Elizabeth", "Helen",    "Anna",     "Heather",  "Ashleigh",  "Chelsea",
    "Kimberley", "Jenna",  "Lindsay",   "Melissa",  "Kerry",    "Toni",
};

constexpr std::string_view kMale1980To2004[] = {
    "Daniel",   "James",  "Thomas", "Christopher", "Matthew",  "Michael", "David",     "Luke",
    "Adam",     "Ryan",   "Jack",   "Joshua",      "Benjamin", "Samuel",  "Jamie",     "Liam",
    "Jordan",   "Nathan", "Callum", "Kieran",      "Lewis",    "Connor",  "Aaron",     "Scott",
    "Craig",    "Ashley", "Dean",   "Bradley",     "Jake",     "Joseph",  "Alexander", "Robert",
    "Andrew",   "Sean",   "Mark",   "Stephen",     "Richard",  "Lee",     "Carl",      "Jonathan",
    "William",  "Oliver", "Harry",  "George",      "Charlie",  "Max",     "Dominic",   "Ross",
    "Kyle",     "Shane",  "Declan", "Reece",       "Owen",     "Elliot",  "Jacob",     "Edward",
    "Henry",    "Jason",  "Gary",   "Paul",        "Peter",    "Anthony", "Martin",    "Darren",
    "Nicholas", "Steven", "Simon",  "Marcus",      "Tyler",    "Josh",
};

constexpr std::string_view kFemaleFrom2005[] = {
    "Olivia",   "Amelia",    "Isla",   "Ava",    "Emily",    "Sophia",  "Grace",  "Mia",
    "Poppy",    "Ella",      "Lily",   "Evie",   "Isabella", "Freya",   "Ivy",    "Florence",
    "Willow",   "Isabelle",  "Sienna", "Rosie",  "Millie",   "Daisy",   "Harper", "Phoebe",
    "Matilda",  "Elsie",     "Evelyn", "Ruby",   "Sofia",    "Alice",   "Maisie", "Erin",
    "Esme",     "Eliza",     "Aria",   "Layla",  "Luna",     "Imogen",  "Orla",   "Maya",
    "Scarlett", "Holly",     "Molly",  "Chloe",  "Jessica",  "Emilia",  "Isabel", "Harriet",
    "Lucy",     "Charlotte", "Thea",   "Lottie", "Hallie",   "Ellie",   "Bonnie", "Mila",
    "Aurora",   "Penelope",  "Violet", "Hannah", "Zara",     "Georgia", "Amber",  "Lola",
    "Lexi",     "Darcie",    "Nancy",  "Edith",  "Beatrice", "Jasmine", "Summer", "Megan",
    "Eva",      "Heidi",     "Robyn",  "Niamh",  "Ayla",
};

constexpr std::string_view kMaleFrom2005[] = {
    "Oliver",   "George", "Noah",   "Arthur",  "Harry",   "Leo",      "Muhammad",  "Jack",
    "Charlie",  "Oscar",  "Jacob",  "Henry",   "Thomas",  "Freddie",  "Alfie",     "Theo",
    "Theodore", "Archie", "Joshua", "William", "Lucas",   "Isaac",    "James",     "Alexander",
    "Finley",   "Edward", "Max",    "Logan",   "Tommy",   "Mason",    "Ethan",     "Samuel",
    "Reggie",   "Louie",  "Ronnie", "Albie",   "Jude",    "Teddy",    "Sonny",     "Harrison",
    "Elijah",   "Rory",   "Hugo",   "Toby",    "Zachary", "Benjamin", "Sebastian", "Riley",
    "Dylan",    "Jaxon",  "Daniel", "Joseph",  "Harley",  "Jenson",   "Frankie",   "Ezra",
    "Roman",    "Luca",   "Arlo",   "Bobby",   "Stanley", "Jackson",  "Caleb",     "Kai",
    "Louis",    "Nathan", "Ryan",   "Adam",    "Finn",    "Jayden",
};

// Scottish, Welsh and Irish given names.
constexpr std::string_view kCelticFemale[] = {
    "Siobhan", "Niamh",   "Aoife",    "Roisin",   "Sinéad",  "Ciara",    "Caoimhe",
    "Saoirse", "Bronagh", "Aisling",  "Deirdre",  "Grainne", "Mairead",  "Eilidh",
    "Morag",   "Mhairi",  "Catriona", "Kirsteen", "Ailsa",   "Iona",     "Rhona",
    "Cerys",   "Ffion",   "Angharad", "Bethan",   "Sian",    "Rhiannon", "Carys",
    "Nia",     "Eleri",   "Seren",    "Elin",     "Lowri",   "Mared",    "Nerys",
    "Gwen",    "Maeve",   "Clodagh",  "Sorcha",   "Shona",   "Una",      "Orlaith",
};

constexpr std::string_view kCelticMale[] = {
    "Sean",    "Seamus",  "Padraig", "Ciaran", "Declan",  "Eoin",     "Cormac",
    "Niall",   "Oisin",   "Conor",   "Cathal", "Dermot",  "Fergal",   "Colm",
    "Donal",   "Ronan",   "Darragh", "Cian",   "Hamish",  "Angus",    "Fraser",
    "Euan",    "Ewan",    "Murray",  "Calum",  "Ruaridh", "Alasdair", "Iain",
    "Lachlan", "Finlay",  "Gregor",  "Struan", "Rhys",    "Dafydd",   "Gethin",
    "Emyr",    "Iwan",    "Aled",    "Huw",    "Owain",   "Ieuan",    "Llewellyn",
    "Bryn",    "Geraint", "Gwilym",  "Osian",  "Tomos",   "Seán",     "Ruairí",
};

constexpr std::string_view kGeneralSurnames[] = {
    "Smith",      "Jones",      "Williams",  "Taylor",     "Brown",      "Davies",     "Evans",
    "Wilson",     "Thomas",     "Johnson",   "Roberts",    "Robinson",   "Thompson",   "Wright",
    "Walker",     "White",      "Edwards",   "Hughes",     "Green",      "Hall",       "Lewis",
    "Harris",     "Clarke",     "Jackson",   "Wood",       "Turner",     "Martin",     "Cooper",
    "Hill",       "Ward",       "Morris",    "Moore",      "Clark",      "Lee",        "King",
    "Baker",      "Harrison",   "Morgan",    "Allen",      "James",      "Scott",      "Phillips",
    "Watson",     "Davis",      "Parker",    "Price",      "Bennett",    "Young",      "Griffiths",
    "Mitchell",   "Kelly",      "Cook",      "Carter",     "Richardson", "Bailey",     "Collins",
    "Bell",       "Shaw",       "Murphy",    "Miller",     "Cox",        "Richards",   "Marshall",
    "Anderson",   "Simpson",    "Ellis",     "Adams",      "Wilkinson",  "Foster",     "Chapman",
    "Powell",     "Webb",       "Rogers",    "Gray",       "Mason",      "Hunt",       "Campbell",
    "Matthews",   "Owen",       "Palmer",    "Holmes",     "Mills",      "Barnes",     "Knight",
    "Lloyd",      "Butler",     "Russell",   "Barker",     "Fisher",     "Stevens",    "Jenkins",
    "Murray",     "Dixon",      "Harvey",    "Graham",     "Pearson",    "Fletcher",   "Walsh",
    "Gibson",     "Howard",     "Andrews",   "Stewart",    "Elliott",    "Reynolds",   "Saunders",
    "Payne",      "Fox",        "Ford",      "Pearce",     "Day",        "Brooks",     "West",
    "Lawrence",   "Cole",       "Atkinson",  "Bradley",    "Spencer",    "Dawson",     "Ball",
    "Burton",     "O'Brien",    "Watts",     "Rose",       "Booth",      "Perry",      "Ryan",
    "Grant",      "Wells",      "Armstrong", "Francis",    "Rees",       "Hayes",      "Hart",
    "Hudson",     "Newman",     "Barrett",   "Webster",    "Hunter",     "Gregory",    "Carr",
    "Lowe",       "Page",       "Marsh",     "Riley",      "Dunn",       "Woods",      "Parsons",
    "Berry",      "Stone",      "Reid",      "Holland",    "Hawkins",    "Harding",    "Porter",
    "Robertson",  "Newton",     "Oliver",    "Reed",       "Kennedy",    "Williamson", "Bird",
    "Gardner",    "Dean",       "Lane",      "Cooke",      "Bates",      "Henderson",  "Parry",
    "Burgess",    "Bishop",     "Walton",    "Burns",      "Nicholson",  "Shepherd",   "Ross",
    "Cross",      "Long",       "Freeman",   "Warren",     "Nicholls",   "Hamilton",   "Byrne",
    "Sutton",     "McDonald",   "Yates",     "Hodgson",    "Robson",     "Curtis",     "Hopkins",
    "O'Connor",   "Harper",     "Coleman",   "Watkins",    "Moss",       "McCarthy",   "Chambers",
    "O'Neill",    "Griffin",    "Sharp",     "Hardy",      "Wheeler",    "Potter",     "Osborne",
    "Johnston",   "Gordon",     "Doyle",     "Wallace",    "George",     "Jordan",     "Hutchinson",
    "Rowe",       "Burke",      "May",       "Pritchard",  "Gilbert",    "Willis",     "Higgins",
    "Read",       "Miles",      "Stevenson", "Stephenson", "Hammond",    "Arnold",     "Buckley",
    "Walters",    "Hewitt",     "Barber",    "Nelson",     "Slater",     "Austin",     "Sullivan",
    "Whitehead",  "Frost",      "Lambert",   "Stephens",   "Blake",      "Lynch",      "Goodwin",
    "Barton",     "Woodward",   "Thomson",   "Cunningham", "Quinn",      "Barnett",    "Baxter",
    "Clayton",    "Nash",       "Greenwood", "Jennings",   "Holt",       "Kemp",       "Poole",
    "Gallagher",  "Bond",       "Stokes",    "Tucker",     "Davidson",   "Fowler",     "Heath",
    "Norman",     "Middleton",  "Reilly",    "Dobson",     "McKenzie",   "Fraser",     "MacLeod",
    "Sinclair",   "Paterson",   "Duncan",    "Ferguson",   "Morrison",   "Mackay",     "Kerr",
    "Ritchie",    "Crawford",   "Cameron",   "Boyle",      "Docherty",   "Gillespie",  "MacDonald",
    "Lindsay",    "Pugh",       "Howells",   "Prosser",    "Vaughan",    "Llewellyn",  "Bowen",
    "Meredith",   "Probert",    "Bevan",     "Beynon",     "Gough",      "Humphreys",  "Brennan",
    "Fitzgerald", "Kavanagh",   "Keane",     "Maguire",    "Brady",      "Flanagan",   "Nolan",
    "Doherty",    "Duffy",      "Mulligan",  "Kearney",    "Hegarty",    "McLaughlin", "O'Sullivan",
    "O'Reilly",   "Hargreaves", "Sykes",     "Ashton",     "Haigh",      "Lockwood",   "Pickering",
    "Thornton",   "Bamford",    "Entwistle", "Rowley",     "Tierney",    "Hollis",     "Brookes",
};

// Place-name surnames: prefix + suffix.
constexpr std::string_view kSurnamePrefixes[] = {
    "Ash",   "Black", "Brad", "Brook", "Cal",   "Chad",   "Clay", "Cold",  "Cran",
    "Dal",   "Ells",  "Fair", "Fern",  "Gold",  "Green",  "Hal",  "Hart",  "Hather",
    "Hay",   "Heath", "Hol",  "Kings", "Lang",  "Mar",    "Mid",  "Mill",  "Nether",
    "New",   "Nor",   "Old",  "Pen",   "Ridge", "Rother", "Shel", "South", "Stan",
    "Stock", "Thorn", "Wal",  "Wes",   "West",  "Whit",   "Wood", "Wor",   "Bar",
    "Brom",  "Carl",  "Dun",  "East",  "Elm",   "Farn",   "Glen", "Hax",   "Lin",
};

constexpr std::string_view kSurnameSuffixes[] = {
    "by",    "croft", "den",  "field", "ford",  "gate",   "ham",    "hill",
    "hurst", "ley",   "low",  "more",  "stead", "ton",    "well",   "wick",
    "wood",  "worth", "bury", "combe", "dale",  "thorpe", "cliffe", "shaw",
};

// ---------------------------------------------------------------------------------------------
// Community lists.

constexpr std::string_view kSouthAsianFemale[] = {
    "Fatima",  "Aisha",   "Ayesha",    "Zainab",   "Maryam",     "Amina",    "Khadija",
    "Nadia",   "Sana",    "Hina",      "Rubina",   "Shazia",     "Nazia",    "Samina",
    "Yasmin",  "Parveen", "Shabana",   "Farzana",  "Nasreen",    "Rukhsana", "Priya",
    "Anjali",  "Pooja",   "Sunita",    "Anita",    "Kavita",     "Neha",     "Deepa",
    "Meera",   "Asha",    "Rani",      "Harpreet", "Manpreet",   "Gurpreet", "Jaspreet",
    "Simran",  "Kiran",   "Amrit",     "Rajinder", "Sukhwinder", "Salma",    "Shirin",
    "Tahmina", "Nusrat",  "Sultana",   "Rehana",   "Shahida",    "Bushra",   "Iqra",
    "Hafsa",   "Sumaiya", "Alisha",    "Zara",     "Inaya",      "Anaya",    "Sabrina",
    "Noor",    "Hajra",   "Jasmin",    "Sadia",    "Rabia",      "Saima",    "Uzma",
    "Mehreen", "Nargis",  "Parminder", "Kulwant",  "Balbir",     "Hansa",    "Jayshree",
    "Nisha",   "Divya",   "Shreya",    "Riya",     "Anika",      "Tasnim",   "Halima",
};

constexpr std::string_view kSouthAsianMale[] = {
    "Mohammed", "Muhammad",  "Mohammad", "Ahmed",   "Ali",       "Hassan",  "Hussain", "Imran",
    "Tariq",    "Bilal",     "Usman",    "Zubair",  "Asif",      "Adnan",   "Kamran",  "Faisal",
    "Irfan",    "Shahid",    "Khalid",   "Nadeem",  "Waqar",     "Abdul",   "Ibrahim", "Yusuf",
    "Zain",     "Hamza",     "Ayaan",    "Rizwan",  "Arif",      "Sajid",   "Raj",     "Rajesh",
    "Sanjay",   "Anil",      "Vijay",    "Ravi",    "Amit",      "Sunil",   "Ashok",   "Deepak",
    "Arjun",    "Rohan",     "Vikram",   "Hardeep", "Jaswinder", "Gurdeep", "Manjit",  "Harjit",
    "Sukhdev",  "Kulwinder", "Ranjit",   "Mahmud",  "Shafiq",    "Jamal",   "Rahim",   "Karim",
    "Aryan",    "Dev",       "Nikhil",   "Pradeep", "Suresh",    "Ramesh",  "Mahesh",  "Dinesh",
    "Naveed",   "Shoaib",    "Junaid",   "Saqib",   "Aamir",     "Farhan",  "Rashid",  "Abdullah",
    "Musa",     "Isa",       "Haris",    "Sohail",  "Javed",
};

constexpr std::string_view kSouthAsianSurnames[] = {
    "Khan",       "Ahmed",   "Ali",    "Hussain",  "Patel",    "Shah",      "Akhtar",   "Iqbal",
    "Mahmood",    "Rahman",  "Islam",  "Uddin",    "Miah",     "Chowdhury", "Hossain",  "Malik",
    "Butt",       "Sharma",  "Gupta",  "Kumar",    "Mistry",   "Parmar",    "Chauhan",  "Solanki",
    "Joshi",      "Desai",   "Mehta",  "Kapoor",   "Chopra",   "Gill",      "Sandhu",   "Sidhu",
    "Dhillon",    "Bains",   "Sangha", "Mann",     "Johal",    "Aziz",      "Rashid",   "Qureshi",
    "Siddiqui",   "Raja",    "Nawaz",  "Sheikh",   "Anwar",    "Bashir",    "Javed",    "Haq",
    "Karim",      "Mirza",   "Naqvi",  "Rehman",   "Saleem",   "Zaman",     "Rana",     "Nair",
    "Pillai",     "Reddy",   "Rao",    "Iyer",     "Das",      "Ghosh",     "Banerjee", "Mukherjee",
    "Chatterjee", "Dutta",   "Sen",    "Bhatti",   "Chaudhry", "Riaz",      "Sadiq",    "Yousaf",
    "Choudhury",  "Ullah",   "Amin",   "Ahmad",    "Abbas",    "Saeed",     "Lal",      "Thakkar",
    "Vaghela",    "Lakhani", "Pandya", "Dhaliwal", "Grewal",   "Atwal",     "Virdi",    "Hayer",
    "Bhogal",
};

constexpr std::string_view kAfricanFemale[] = {
    "Blessing", "Grace",     "Abimbola",  "Adaeze",   "Adeola",     "Ama",       "Akua",
    "Abena",    "Chidinma",  "Chiamaka",  "Ngozi",    "Nneka",      "Oluwaseun", "Funmilayo",
    "Folake",   "Yetunde",   "Temitope",  "Titilayo", "Bukola",     "Chioma",    "Efua",
    "Esi",      "Aminata",   "Fatoumata", "Mariama",  "Precious",   "Comfort",   "Mercy",
    "Faith",    "Joy",       "Patience",  "Adwoa",    "Yaa",        "Ifeoma",    "Ebele",
    "Amara",    "Hodan",     "Ayan",      "Fartun",   "Sahra",      "Hibo",      "Ifrah",
    "Ubah",     "Khadra",    "Deka",      "Halima",   "Isatou",     "Adjoa",     "Afua",
    "Akosua",   "Oluwakemi", "Omolara",   "Damilola", "Oluwatoyin", "Eniola",    "Tolulope",
    "Princess", "Gift",      "Favour",    "Esther",   "Deborah",    "Ruth",      "Zainab",
};

constexpr std::string_view kAfricanMale[] = {
    "Olumide",       "Adebayo",    "Adewale",  "Ayodele",  "Babatunde", "Chinedu",   "Chukwuemeka",
    "Emeka",         "Obinna",     "Ikenna",   "Uchenna",  "Kwame",     "Kwabena",   "Kofi",
    "Kojo",          "Yaw",        "Kwaku",    "Kwesi",    "Olufemi",   "Oluwatobi", "Segun",
    "Tunde",         "Daniel",     "Samuel",   "Emmanuel", "Godfrey",   "Ibrahima",  "Mamadou",
    "Abdi",          "Abdullahi",  "Mohamed",  "Ahmed",    "Hassan",    "Omar",      "Yusuf",
    "Mustafa",       "Abdirahman", "Abdiaziz", "Mahad",    "Ayodeji",   "Oladele",   "Olusegun",
    "Oluwadamilare", "Chibuike",   "Chukwudi", "Ifeanyi",  "Nnamdi",    "Kelechi",   "Ebuka",
    "Kweku",         "Ato",        "Ekow",     "Lamin",    "Ousman",    "Modou",     "Alhaji",
    "Sulaiman",      "Moses",      "Joseph",   "Michael",  "David",     "Prince",    "Victor",
};

constexpr std::string_view kAfricanSurnames[] = {
    "Okafor",    "Okonkwo",    "Okoro",   "Eze",     "Nwosu",   "Adeyemi",  "Adebayo",  "Ogunleye",
    "Oladipo",   "Afolabi",    "Akinola", "Balogun", "Bankole", "Olawale",  "Adewale",  "Ogunbiyi",
    "Mensah",    "Asante",     "Owusu",   "Boateng", "Appiah",  "Osei",     "Agyeman",  "Ofori",
    "Amoah",     "Acheampong", "Darko",   "Addo",    "Sesay",   "Kamara",   "Conteh",   "Bangura",
    "Koroma",    "Jallow",     "Ceesay",  "Diallo",  "Bah",     "Ndiaye",   "Mohamed",  "Abdi",
    "Ali",       "Hassan",     "Farah",   "Warsame", "Jama",    "Hussein",  "Omar",     "Aden",
    "Nwachukwu", "Obi",        "Okeke",   "Onyeka",  "Adeleke", "Adeniyi",  "Ojo",      "Oyewole",
    "Fashola",   "Salami",     "Bello",   "Sanni",   "Lawal",   "Oyelaran", "Danso",    "Badu",
    "Annan",     "Quaye",      "Tetteh",  "Nkrumah", "Ansah",   "Yeboah",   "Frimpong", "Kargbo",
    "Turay",     "Jalloh",     "Touray",  "Sow",     "Ibrahim", "Yusuf",    "Okoye",    "Chukwu",
    "Ibe",       "Mbah",       "Egbe",    "Adjei",
};

constexpr std::string_view kCaribbeanFemale[] = {
    "Marcia", "Beverley", "Hyacinth", "Claudette", "Pearline", "Merlene",   "Sonia",
    "Yvonne", "Paulette", "Shanice",  "Tianna",    "Monique",  "Jasmine",   "Tanya",
    "Sharon", "Marlene",  "Joy",      "Pauline",   "Lorna",    "Janice",    "Cynthia",
    "Gloria", "Veronica", "Carmen",   "Natasha",   "Aaliyah",  "Shantelle", "Kayla",
    "Keisha", "Latoya",   "Simone",   "Chantelle", "Desiree",  "Icilda",    "Myrtle",
};

constexpr std::string_view kCaribbeanMale[] = {
    "Delroy",   "Winston", "Errol",    "Clive",   "Lloyd",   "Desmond",  "Everton",
    "Leroy",    "Carlton", "Courtney", "Donovan", "Tyrone",  "Jermaine", "Marlon",
    "Devon",    "Dwayne",  "Kemar",    "Andre",   "Trevor",  "Neville",  "Lennox",
    "Garfield", "Wesley",  "Clinton",  "Dalton",  "Fitzroy", "Ainsley",  "Junior",
    "Kareem",   "Tyrese",  "Jerome",   "Denzel",  "Roland",  "Hopeton",  "Linval",
};

constexpr std::string_view kCaribbeanSurnames[] = {
    "Campbell", "Brown",    "Williams", "Thompson",  "Clarke",    "Francis",  "Grant",
    "Reid",     "Henry",    "James",    "Lewis",     "Morgan",    "Gordon",   "Bailey",
    "Edwards",  "Samuels",  "Forbes",   "McKenzie",  "Powell",    "Stewart",  "Bennett",
    "Gayle",    "Wallace",  "Barrett",  "Ferguson",  "Nelson",    "Blake",    "Whyte",
    "Johnson",  "Robinson", "Richards", "Murray",    "Chambers",  "Douglas",  "Graham",
    "Hamilton", "Pinnock",  "Dacres",   "Beckford",  "Spence",    "Lindo",    "Morrison",
    "Brissett", "Walcott",  "Joseph",   "Charles",   "Alexander", "Marshall", "Daley",
    "Hylton",   "Ellis",    "Facey",    "McFarlane", "Salmon",    "Mullings", "Gooden",
};

constexpr std::string_view kEastEuropeanFemale[] = {
    "Anna",       "Maria",    "Katarzyna",  "Agnieszka", "Magdalena", "Joanna",    "Monika",
    "Malgorzata", "Ewa",      "Aleksandra", "Natalia",   "Zuzanna",   "Julia",     "Karolina",
    "Justyna",    "Dorota",   "Beata",      "Iwona",     "Sylwia",    "Marta",     "Paulina",
    "Weronika",   "Oliwia",   "Elena",      "Ioana",     "Andreea",   "Alexandra", "Mihaela",
    "Irina",      "Oksana",   "Olga",       "Tatiana",   "Svetlana",  "Jurgita",   "Rasa",
    "Ieva",       "Inga",     "Kristina",   "Liliana",   "Daniela",   "Gabriela",  "Simona",
    "Petra",      "Lucie",    "Jana",       "Zofia",     "Kinga",     "Edyta",     "Agata",
    "Klaudia",    "Wiktoria", "Ilona",      "Renata",    "Bożena",    "Grażyna",   "Elżbieta",
};

constexpr std::string_view kEastEuropeanMale[] = {
    "Piotr",     "Krzysztof", "Tomasz",   "Pawel",    "Michal",   "Marcin",     "Jakub",
    "Lukasz",    "Adam",      "Mateusz",  "Kamil",    "Dawid",    "Bartosz",    "Grzegorz",
    "Wojciech",  "Rafal",     "Andrzej",  "Marek",    "Jan",      "Mariusz",    "Dariusz",
    "Sebastian", "Szymon",    "Filip",    "Ion",      "Andrei",   "Alexandru",  "Mihai",
    "Florin",    "Marius",    "Cristian", "Gheorghe", "Vasile",   "Ionut",      "Mantas",
    "Tomas",     "Darius",    "Lukas",    "Jonas",    "Andriy",   "Oleksandr",  "Dmitri",
    "Sergei",    "Nikolai",   "Viktor",   "Jiri",     "Petr",     "Miroslav",   "Ivan",
    "Stefan",    "Adrian",    "Robert",   "Damian",   "Artur",    "Przemyslaw", "Zbigniew",
    "Slawomir",  "Radoslaw",  "Jacek",    "Costel",   "Valentin", "Bogdan",     "Ștefan",
};

// Surnames ending -ski/-cki/-ov/-ev take their feminine form (-ska/-cka/-ova/-eva) for women.
constexpr std::string_view kEastEuropeanSurnames[] = {
    "Nowak",       "Kowalski",   "Wiśniewski",  "Wójcik",    "Kowalczyk",  "Kamiński",
    "Lewandowski", "Zieliński",  "Szymański",   "Woźniak",   "Dąbrowski",  "Kozlowski",
    "Jankowski",   "Mazur",      "Kwiatkowski", "Krawczyk",  "Piotrowski", "Grabowski",
    "Nowakowski",  "Pawlak",     "Michalski",   "Wróbel",    "Wieczorek",  "Majewski",
    "Olszewski",   "Stępień",    "Malinowski",  "Jaworski",  "Adamczyk",   "Dudek",
    "Zając",       "Górski",     "Król",        "Sikora",    "Baran",      "Rutkowski",
    "Ostrowski",   "Popescu",    "Ionescu",     "Popa",      "Pop",        "Radu",
    "Dumitru",     "Stan",       "Stoica",      "Gheorghe",  "Rusu",       "Munteanu",
    "Matei",       "Constantin", "Marin",       "Florea",    "Tudor",      "Moldovan",
    "Kovalenko",   "Shevchenko", "Bondarenko",  "Horvath",   "Novak",      "Kovač",
    "Petrov",      "Ivanov",     "Popov",       "Kuznetsov", "Balogh",     "Nagy",
    "Toth",        "Szabo",      "Kiss",        "Lebedev",
};

constexpr std::string_view kEastAsianFemale[] = {
    "Mei",   "Li",   "Ying",    "Xiaoyan", "Hui",  "Jing", "Yan",    "Lin",  "Xin",
    "Fang",  "Min",  "Ling",    "Linh",    "Hoa",  "Mai",  "Lan",    "Yu",   "Xue",
    "Qing",  "Hong", "Yuki",    "Jia",     "Ning", "Wen",  "Ting",   "Thuy", "Huong",
    "Trang", "Ha",   "Ji-Yeon", "Yi",      "Shu",  "Na",   "Xiaoli", "Yumi",
};

constexpr std::string_view kEastAsianMale[] = {
    "Wei",     "Jun",     "Hao",     "Ming",  "Jian",  "Lei",  "Tao",   "Yong",     "Kai",
    "Bo",      "Long",    "Minh",    "Duc",   "Tuan",  "Hung", "Nam",   "Feng",     "Gang",
    "Qiang",   "Bin",     "Chao",    "Peng",  "Jie",   "Hai",  "Cheng", "Zhen",     "Kenji",
    "Hiroshi", "Takeshi", "Min-Jun", "Thanh", "Quang", "Dung", "Son",   "Xiaoming",
};

constexpr std::string_view kEastAsianSurnames[] = {
    "Wang",  "Li",     "Zhang",  "Liu",  "Chen",   "Yang",   "Huang", "Zhao",     "Wu",
    "Zhou",  "Xu",     "Sun",    "Ma",   "Zhu",    "Hu",     "Guo",   "He",       "Lin",
    "Luo",   "Gao",    "Cheung", "Chan", "Wong",   "Lee",    "Lau",   "Ng",       "Ho",
    "Yip",   "Tang",   "Leung",  "Tam",  "Kwok",   "Lam",    "Fung",  "Chow",     "Yeung",
    "Tsang", "Nguyen", "Tran",   "Le",   "Pham",   "Hoang",  "Vu",    "Dang",     "Bui",
    "Do",    "Kim",    "Park",   "Choi", "Tanaka", "Suzuki", "Sato",  "Yamamoto", "Chung",
    "Yu",    "Siu",    "Mak",    "Choy", "Tse",    "Ip",     "Kwan",  "Poon",     "Au",
};

constexpr std::string_view kMiddleEasternFemale[] = {
    "Fatma",  "Ayşe",  "Elif",   "Zeynep", "Emine", "Leyla",  "Yasmin", "Noor",   "Rana",
    "Layla",  "Hiba",  "Mariam", "Dina",   "Reem",  "Sara",   "Hatice", "Merve",  "Büşra",
    "Esra",   "Derya", "Gül",    "Nour",   "Rasha", "Lina",   "Samira", "Nadia",  "Parisa",
    "Maryam", "Zahra", "Roya",   "Dilan",  "Rojin", "Nesrin", "Hanan",  "Shirin",
};

constexpr std::string_view kMiddleEasternMale[] = {
    "Mehmet", "Mustafa", "Ahmet",   "Ali",    "Hasan",  "Hüseyin", "Ibrahim", "Omar",
    "Karim",  "Yousef",  "Tariq",   "Samir",  "Khalil", "Amir",    "Reza",    "Hamid",
    "Dara",   "Kawa",    "Murat",   "Emre",   "Burak",  "Serkan",  "Kemal",   "Osman",
    "Yusuf",  "Ahmad",   "Mahmoud", "Khaled", "Walid",  "Rami",    "Fadi",    "Hussein",
    "Mehdi",  "Hossein", "Behrouz", "Saman",  "Rebin",  "Azad",    "Dilshad", "Hakan",
};

constexpr std::string_view kMiddleEasternSurnames[] = {
    "Yilmaz",  "Kaya",    "Demir",     "Şahin",  "Çelik",    "Yildiz",     "Öztürk",   "Aydin",
    "Arslan",  "Doğan",   "Kilic",     "Aslan",  "Abdullah", "Hassan",     "Ibrahim",  "Mahmoud",
    "Saleh",   "Mansour", "Haddad",    "Khalil", "Nasser",   "Hamid",      "Karimi",   "Hosseini",
    "Ahmadi",  "Rahimi",  "Mohammadi", "Rezaei", "Jafari",   "Azizi",      "Kurt",     "Özdemir",
    "Polat",   "Aksoy",   "Erdogan",   "Koc",    "Said",     "Al-Hashimi", "Al-Sayed", "Othman",
    "Mustafa", "Rashid",  "Barzani",   "Amin",   "Kareem",   "Hussein",    "Salih",    "Abdulla",
    "Aziz",    "Hamad",
};

constexpr CommunityNames kCommunities[kNumCommunities] = {
    // General: given names come from GeneralGiven / CelticGiven.
    {{}, {}, kGeneralSurnames, 790, 0, 100},
    {kSouthAsianFemale, kSouthAsianMale, kSouthAsianSurnames, 85, 95, 97},
    {kAfricanFemale, kAfricanMale, kAfricanSurnames, 30, 75, 95},
    {kCaribbeanFemale, kCaribbeanMale, kCaribbeanSurnames, 15, 40, 90},
    {kEastEuropeanFemale, kEastEuropeanMale, kEastEuropeanSurnames, 40, 92, 96},
    {kEastAsianFemale, kEastAsianMale, kEastAsianSurnames, 20, 65, 97},
    {kMiddleEasternFemale, kMiddleEasternMale, kMiddleEasternSurnames, 20, 92, 96},
};

// ---------------------------------------------------------------------------------------------
// Nicknames and spelling variants.

constexpr Nickname kNicknames[] = {
    {"William", "Bill|Will|Billy|Liam|Willie"},
    {"Elizabeth", "Liz|Beth|Betty|Lizzie|Libby|Eliza|Bess"},
    {"Margaret", "Maggie|Peggy|Meg|Madge|Maisie"},
    {"Robert", "Bob|Rob|Bobby|Robbie|Bert"},
    {"Richard", "Rick|Rich|Richie|Dick"},
    {"James", "Jim|Jimmy|Jamie"},
    {"John", "Jack|Johnny"},
    {"Thomas", "Tom|Tommy"},
    {"Michael", "Mike|Mick|Mickey"},
    {"Christopher", "Chris|Kit"},
    {"Anthony", "Tony|Ant"},
    {"Edward", "Ed|Eddie|Ted|Ned"},
    {"Charles", "Charlie|Chas"},
    {"Henry", "Harry|Hal"},
    {"Frederick", "Fred|Freddie"},
    {"Alfred", "Alf|Alfie"},
    {"Albert", "Bert|Albie"},
    {"Alexander", "Alex|Sandy|Xander"},
    {"Alexandra", "Alex|Lexi|Sasha"},
    {"Andrew", "Andy|Drew"},
    {"Benjamin", "Ben|Benny"},
    {"Daniel", "Dan|Danny"},
    {"David", "Dave|Davy|Dai"},
    {"Joseph", "Joe|Joey"},
    {"Joshua", "Josh"},
    {"Jonathan", "Jon|Jonny"},
    {"Kenneth", "Ken|Kenny"},
    {"Leonard", "Len|Lenny"},
    {"Matthew", "Matt"},
    {"Nicholas", "Nick|Nicky"},
    {"Peter", "Pete"},
    {"Philip", "Phil"},
    {"Raymond", "Ray"},
    {"Ronald", "Ron|Ronnie"},
    {"Donald", "Don|Donnie"},
    {"Samuel", "Sam|Sammy"},
    {"Stanley", "Stan"},
    {"Stephen", "Steve"},
    {"Steven", "Steve"},
    {"Terence", "Terry"},
    {"Timothy", "Tim"},
    {"Douglas", "Doug|Dougie"},
    {"Gerald", "Gerry"},
    {"Bernard", "Bernie"},
    {"Harold", "Harry"},
    {"Archibald", "Archie"},
    {"Theodore", "Theo|Teddy|Ted"},
    {"Zachary", "Zach"},
    {"Oliver", "Ollie"},
    {"Patrick", "Pat|Paddy"},
    {"Francis", "Frank"},
    {"Gareth", "Gaz"},
    {"Reginald", "Reg|Reggie"},
    {"Wilfred", "Wilf"},
    {"Cyril", "Cy"},
    {"Katherine", "Kate|Kathy|Katie|Kat"},
    {"Catherine", "Cathy|Cath|Kate"},
    {"Kathleen", "Kath|Kathy"},
    {"Kathryn", "Kate|Kathy"},
    {"Patricia", "Pat|Patsy|Trish"},
    {"Susan", "Sue|Susie"},
    {"Deborah", "Debbie|Deb"},
    {"Jacqueline", "Jackie"},
    {"Pamela", "Pam"},
    {"Dorothy", "Dot|Dottie|Dolly"},
    {"Jennifer", "Jenny|Jen"},
    {"Rebecca", "Becky|Becca"},
    {"Victoria", "Vicky|Tori"},
    {"Samantha", "Sam|Sammie"},
    {"Christine", "Chris|Chrissie|Tina"},
    {"Barbara", "Babs"},
    {"Josephine", "Jo|Josie"},
    {"Joanne", "Jo"},
    {"Caroline", "Caz|Carol"},
    {"Abigail", "Abby|Abbie"},
    {"Gillian", "Gill|Jill"},
    {"Eleanor", "Ellie|Nell"},
    {"Isabella", "Izzy|Bella"},
    {"Isabel", "Izzy"},
    {"Amelia", "Millie"},
    {"Charlotte", "Lottie|Charlie"},
    {"Florence", "Flo|Florrie"},
    {"Frances", "Fran"},
    {"Helen", "Nell"},
    {"Jessica", "Jess"},
    {"Natalie", "Nat"},
    {"Stephanie", "Steph"},
    {"Suzanne", "Suzy"},
    {"Valerie", "Val"},
    {"Beverley", "Bev"},
    {"Lesley", "Les"},
    {"Sandra", "Sandy"},
    {"Teresa", "Tess"},
    {"Alison", "Ali"},
    {"Amanda", "Mandy"},
    {"Nicola", "Nicky"},
    {"Penelope", "Penny"},
    {"Winifred", "Winnie"},
    {"Gwendoline", "Gwen"},
    {"Harriet", "Hattie"},
    {"Matilda", "Tilly"},
    {"Constance", "Connie"},
    {"Mohammed", "Mo|Mohd"},
    {"Muhammad", "Mo|Mohd"},
    {"Mohammad", "Mo|Mohd"},
    {"Katarzyna", "Kasia"},
    {"Malgorzata", "Gosia"},
    {"Aleksandra", "Ola"},
    {"Agnieszka", "Aga"},
    {"Wojciech", "Wojtek"},
    {"Jakub", "Kuba"},
    {"Tomasz", "Tomek"},
    {"Krzysztof", "Krzys"},
    {"Babatunde", "Tunde"},
    {"Olufemi", "Femi"},
    {"Oluwatobi", "Tobi"},
    {"Oluwaseun", "Seun"},
    {"Adebayo", "Bayo"},
    {"Chukwuemeka", "Emeka"},
    {"Oluwadamilare", "Dami"},
    {"Temitope", "Tope"},
    {"Abimbola", "Bola"},
    {"Funmilayo", "Funmi"},
    {"Oluwakemi", "Kemi"},
    {"Omolara", "Lara"},
    {"Damilola", "Dami"},
    {"Tolulope", "Tolu"},
    {"Ayodele", "Ayo"},
    {"Olusegun", "Segun"},
    {"Padraig", "Paddy"},
    {"Seamus", "Shay"},
    {"Ruaridh", "Rory"},
    {"Dafydd", "Dai"},
};

constexpr std::string_view kSpellingGroups[] = {
    "Mohammed|Muhammad|Mohammad|Mohamed|Muhammed|Mohamad",
    "Ahmed|Ahmad|Ahmet",
    "Hussain|Hussein|Husain",
    "Yusuf|Yousuf|Yousef|Youssef",
    "Ibrahim|Ebrahim",
    "Aisha|Ayesha|Aysha",
    "Fatima|Fatimah|Fatma",
    "Maryam|Mariam|Miriam",
    "Catherine|Katherine|Kathryn|Katharine",
    "Stephen|Steven",
    "Sean|Shaun|Shawn",
    "Philip|Phillip",
    "Geoffrey|Jeffrey",
    "Alan|Allan|Allen",
    "Rachel|Rachael",
    "Ann|Anne",
    "Sara|Sarah",
    "Claire|Clare",
    "Lindsay|Lindsey",
    "Lee|Leigh",
    "Tracey|Tracy",
    "Isabel|Isobel|Isabelle",
    "Sofia|Sophia",
    "Zoe|Zoë",
    "Callum|Calum",
    "Euan|Ewan|Ewen",
    "Alasdair|Alistair|Alastair",
    "Ian|Iain",
    "Ciaran|Kieran",
    "Niamh|Neve",
    "Jayden|Jaden|Jaiden",
    "Aaliyah|Aliyah",
    "Teresa|Theresa",
    "Deborah|Debra",
    "Carl|Karl",
    "Mark|Marc",
    "Matthew|Mathew",
    "Olivia|Oliwia",
    "Victoria|Wiktoria",
    "Jasmine|Jasmin|Yasmin",
    "Sinéad|Sinead",
    "Seán|Sean",
    "Graham|Graeme",
    "Nicola|Nichola",
    "Jeremy|Jeremiah",
};

// ---------------------------------------------------------------------------------------------
// Postcode areas: area letters, highest district number used, weight.

constexpr PostcodeArea kPostcodeAreas[] = {
    {"AB", 56, 50},  {"AL", 10, 25},  {"B", 98, 180},  {"BA", 22, 45},  {"BB", 18, 45},
    {"BD", 24, 60},  {"BH", 31, 55},  {"BL", 9, 40},   {"BN", 45, 90},  {"BR", 8, 35},
    {"BS", 49, 110}, {"BT", 94, 190}, {"CA", 28, 35},  {"CB", 25, 50},  {"CF", 83, 115},
    {"CH", 66, 85},  {"CM", 24, 75},  {"CO", 16, 40},  {"CR", 8, 40},   {"CT", 21, 55},
    {"CV", 47, 90},  {"CW", 12, 40},  {"DA", 18, 50},  {"DD", 11, 40},  {"DE", 75, 95},
    {"DG", 16, 15},  {"DH", 9, 30},   {"DL", 17, 45},  {"DN", 41, 95},  {"DT", 11, 25},
    {"DY", 14, 55},  {"E", 20, 120},  {"EC", 4, 2},    {"EH", 55, 90},  {"EN", 11, 45},
    {"EX", 39, 65},  {"FK", 21, 30},  {"FY", 8, 35},   {"G", 84, 120},  {"GL", 56, 70},
    {"GU", 52, 100}, {"HA", 9, 55},   {"HD", 9, 40},   {"HG", 5, 15},   {"HP", 27, 55},
    {"HR", 9, 20},   {"HS", 9, 3},    {"HU", 20, 60},  {"HX", 7, 20},   {"IG", 11, 50},
    {"IP", 33, 75},  {"IV", 63, 25},  {"KA", 30, 35},  {"KT", 24, 75},  {"KW", 17, 5},
    {"KY", 16, 40},  {"L", 40, 110},  {"LA", 23, 35},  {"LD", 8, 5},    {"LE", 67, 105},
    {"LL", 78, 70},  {"LN", 13, 35},  {"LS", 29, 100}, {"LU", 7, 30},   {"M", 50, 150},
    {"ME", 20, 70},  {"MK", 46, 65},  {"ML", 12, 35},  {"N", 22, 90},   {"NE", 71, 140},
    {"NG", 34, 110}, {"NN", 29, 70},  {"NP", 44, 60},  {"NR", 35, 80},  {"NW", 11, 60},
    {"OL", 16, 50},  {"OX", 49, 75},  {"PA", 80, 35},  {"PE", 38, 130}, {"PH", 50, 15},
    {"PL", 35, 55},  {"PO", 41, 100}, {"PR", 26, 60},  {"RG", 45, 105}, {"RH", 20, 60},
    {"RM", 20, 60},  {"S", 81, 130},  {"SA", 73, 70},  {"SE", 28, 120}, {"SG", 19, 55},
    {"SK", 23, 75},  {"SL", 9, 45},   {"SM", 7, 20},   {"SN", 26, 60},  {"SO", 53, 80},
    {"SP", 11, 25},  {"SR", 8, 25},   {"SS", 17, 60},  {"ST", 21, 80},  {"SW", 20, 100},
    {"SY", 25, 40},  {"TA", 24, 45},  {"TD", 15, 12},  {"TF", 13, 25},  {"TN", 40, 85},
    {"TQ", 14, 30},  {"TR", 27, 35},  {"TS", 29, 70},  {"TW", 20, 60},  {"UB", 11, 45},
    {"W", 14, 70},   {"WA", 16, 65},  {"WC", 2, 2},    {"WD", 25, 35},  {"WF", 17, 55},
    {"WN", 8, 35},   {"WR", 15, 40},  {"WS", 15, 45},  {"WV", 16, 45},  {"YO", 62, 70},
    {"ZE", 3, 2},
};

}  // namespace

std::span<const CommunityNames> Communities() { return kCommunities; }

std::span<const std::string_view> GeneralGiven(bool female, int era) {
  switch (era) {
    case 0:
      return female ? std::span<const std::string_view>(kFemaleBefore1950) : kMaleBefore1950;
    case 1:
      return female ? std::span<const std::string_view>(kFemale1950To1979) : kMale1950To1979;
    case 2:
      return female ? std::span<const std::string_view>(kFemale1980To2004) : kMale1980To2004;
    default:
      return female ? std::span<const std::string_view>(kFemaleFrom2005) : kMaleFrom2005;
  }
}

std::span<const std::string_view> CelticGiven(bool female) {
  return female ? std::span<const std::string_view>(kCelticFemale) : kCelticMale;
}

std::span<const std::string_view> GeneralSurnames() { return kGeneralSurnames; }
std::span<const std::string_view> SurnamePrefixes() { return kSurnamePrefixes; }
std::span<const std::string_view> SurnameSuffixes() { return kSurnameSuffixes; }
std::span<const Nickname> Nicknames() { return kNicknames; }
std::span<const std::string_view> SpellingGroups() { return kSpellingGroups; }
std::span<const PostcodeArea> PostcodeAreas() { return kPostcodeAreas; }

}  // namespace bloomlink::synth_internal
