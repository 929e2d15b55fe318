"""Invented names and places for simulated clients. Any likeness is chance."""

FIRST_NAMES = [
    "Alex", "Bea", "Cal", "Dara", "Eli", "Fern", "Gus", "Hana", "Ivo", "Jun", "Kit", "Lena",
    "Milo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sol", "Tova", "Uma", "Vik", "Wren", "Yara",
    "Zane", "Ada", "Ben", "Cleo", "Dev", "Esme", "Finn", "Gia", "Hugo", "Isla", "Joel", "Kaia",
    "Leo", "Maya", "Noor", "Otis",
]
PRONOUNS_BY_NAME = [
    "they/them", "she/her", "he/him", "she/her", "he/him", "she/her", "he/him", "she/her", "he/him",
    "they/them", "they/them", "she/her", "he/him", "she/her", "he/him", "she/her", "they/them",
    "she/her", "he/him", "she/her", "she/her", "he/him", "they/them", "she/her", "he/him", "she/her",
    "he/him", "she/her", "he/him", "she/her", "he/him", "she/her", "he/him", "she/her", "he/him",
    "she/her", "he/him", "she/her", "she/her", "he/him",
]
LAST_NAMES = [
    "Abbott", "Baker", "Castillo", "Dunn", "Ekwueme", "Fischer", "Gallo", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinlan", "Rossi", "Sato",
    "Tran", "Underwood", "Varga", "Weller", "Xu", "Yilmaz", "Zhou", "Adeyemi", "Brennan", "Costa",
    "Delgado", "Eriksen", "Farouk", "Greer", "Holm", "Iqbal", "Jovanovic", "Kerr", "Lowe", "Mbeki",
    "Novak",
]
STREETS = ["Mill Lane", "Church Road", "Station Street", "Park Avenue", "Orchard Close", "High Street",
           "Willow Way", "Quarry Hill", "Riverside Walk", "Elm Grove"]
TOWNS = ["Ashford", "Brookfield", "Claymore", "Dunmere", "Eastwick", "Fairhaven", "Glenrock", "Hollowell"]
