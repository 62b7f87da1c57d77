console.log('otrbnc: not yet');
