"""The centre's offer published in the national open-data standards (issue 16): the MedNum
"lieux de médiation numérique" file and the data·inclusion structures and services."""
