/* Error codes returned by every invocation and system call (in x0). */
#ifndef ICECAP_ERRORS_H
#define ICECAP_ERRORS_H

typedef enum ic_err {
    IC_OK = 0,
    IC_INVALID_ARGUMENT = 1,   /* an argument is out of its domain */
    IC_INVALID_CAPABILITY = 2, /* a capability has the wrong type or rights */
    IC_ILLEGAL_OPERATION = 3,  /* the operation is not allowed in this state */
    IC_RANGE_ERROR = 4,        /* a numeric argument is outside its range */
    IC_ALIGNMENT_ERROR = 5,    /* an address or size is misaligned */
    IC_FAILED_LOOKUP = 6,      /* a capability or page-table lookup failed */
    IC_TRUNCATED_MESSAGE = 7,  /* the message is shorter than the call needs */
    IC_DELETE_FIRST = 8,       /* the destination slot is not empty */
    IC_REVOKE_FIRST = 9,       /* the object still has children or mappings */
    IC_NOT_ENOUGH_MEMORY = 10, /* the untyped region has too little room */
    IC_NUM_ERRORS
} ic_err_t;

#endif
